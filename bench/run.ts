// Runs every benchmark suite in suites/ one after another (or only those named on the command line:
// `npm run bench -- core`), each in its own process so one suite's heap does not skew the next.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
const suites = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()

let failed = 0
for (const suite of suites) {
  console.log(`\n=== ${suite}`)
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'suites', suite)], {
    stdio: 'inherit',
    cwd: here,
  })
  if (r.status !== 0) failed++
}
if (failed) {
  console.error(`${failed} suite(s) failed`)
  process.exit(1)
}
