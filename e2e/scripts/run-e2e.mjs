#!/usr/bin/env node
// Runs the browser e2e tests inside a network namespace this script creates, so every packet stays
// inside it: `unshare -n` gives a fresh namespace (root only), and test-network.mjs sets up its veth pair.
// Servers (the fixture page server, the resource node) and Chromium all run inside the namespace.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setUpTestNetwork } from './test-network.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const inside = process.argv.includes('--inside')
const TOTAL_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 9 * 60_000)

function fail(message) {
  console.error(`e2e: ${message}`)
  process.exit(1)
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

if (!inside) {
  const problems = []
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('not running as root')
  if (!have('unshare')) problems.push('unshare (util-linux) is missing')
  if (!have('ip')) problems.push('ip (iproute2) is missing')
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromium)) problems.push(`${chromium} is missing (apt-get install chromium)`)
  if (problems.length > 0) {
    const msg = `cannot run the browser e2e tests: ${problems.join('; ')}`
    if (process.env.CI === 'true')
      fail(`${msg}. CI must run them (as root, with chromium, iproute2, util-linux).`)
    console.warn(`e2e: SKIPPED — ${msg}. Run as root to test (CI=true makes this an error).`)
    process.exit(0)
  }
  if (!existsSync(join(root, 'dist', 'index.html')))
    fail('fixture page not built: run `npm run build -w @stratos-edge/e2e`')
  const child = spawn(
    'unshare',
    ['-n', '--', process.execPath, fileURLToPath(import.meta.url), '--inside', ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: process.env,
    },
  )
  const timer = setTimeout(() => {
    console.error(`e2e: timed out after ${TOTAL_TIMEOUT_MS} ms; killing`)
    child.kill('SIGKILL')
  }, TOTAL_TIMEOUT_MS)
  child.on('exit', (code, signal) => {
    clearTimeout(timer)
    process.exit(code ?? (signal ? 1 : 0))
  })
} else {
  try {
    setUpTestNetwork()
  } catch (err) {
    fail(err.message)
  }
  const files = process.argv.slice(2).filter((a) => a !== '--inside')
  const tests = files.length > 0 ? files : ['tests/**/*.test.ts']
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-concurrency=1',
      '--test-timeout=300000',
      '--test-force-exit',
      '--test-reporter=spec',
      ...tests,
    ],
    { stdio: 'inherit', cwd: root },
  )
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
