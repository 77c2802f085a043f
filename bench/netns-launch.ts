// Browser benches run in Debian Chromium inside a network namespace, as the e2e tests do: the script
// re-runs itself under `unshare -n` (needs root), and that copy does the work.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built e2e fixture page the browser benches load (`npm run build -w @stratos-edge/e2e`). */
export const E2E_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e', 'dist')

/**
 * In the copy started with `--inside`, runs `inside`. Otherwise checks for root, Chromium and the built
 * fixture (skipping or failing the bench `name` with a message), then starts the script `scriptUrl`
 * again with `--inside` in a new network namespace, killed after 15 minutes, and exits with its code.
 *
 * @example
 * await runInNetworkNamespace('receipts-browser', import.meta.url, inside)
 */
export async function runInNetworkNamespace(
  name: string,
  scriptUrl: string,
  inside: () => Promise<void>,
): Promise<void> {
  if (process.argv.includes('--inside')) return inside()
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/chromium')) {
    console.log(`${name}: skipped (needs root for unshare -n, and /usr/bin/chromium)`)
    process.exit(0)
  }
  if (!existsSync(join(E2E_FIXTURE, 'index.html'))) {
    console.error(`${name}: build the fixture first: npm run build -w @stratos-edge/e2e`)
    process.exit(1)
  }
  const child = spawn(
    'unshare',
    ['-n', '--', process.execPath, ...process.execArgv, fileURLToPath(scriptUrl), '--inside'],
    { stdio: 'inherit' },
  )
  const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000)
  child.on('exit', (code) => {
    clearTimeout(timer)
    process.exit(code ?? 1)
  })
}
