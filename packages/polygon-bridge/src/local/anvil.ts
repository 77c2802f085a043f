import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Options of one local anvil chain. */
export interface AnvilInit {
  /** EIP-155 chain id. */
  chainId: number
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Persist the chain state to this JSON file (anvil `--state`), so a restart keeps contracts and balances. */
  statePath?: string
  /** Seconds between blocks; default: mine on every transaction. */
  blockTime?: number
  /** How long to wait for anvil to listen; default 30 s. */
  startTimeoutMs?: number
}

/** A running anvil process. */
export interface AnvilChain {
  rpcUrl: string
  chainId: number
  port: number
  /** Stops the process (it writes its state file first when `statePath` was given). */
  stop(): Promise<void>
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': 'anvil-linux-amd64',
  'linux-arm64': 'anvil-linux-arm64',
  'darwin-x64': 'anvil-darwin-amd64',
  'darwin-arm64': 'anvil-darwin-arm64',
  'win32-x64': 'anvil-win32-amd64',
}

/**
 * Finds the anvil binary shipped by the npm package `@foundry-rs/anvil` (its platform package holds the binary,
 * so no install script is needed). `ANVIL_BIN` overrides.
 */
export function findAnvilBinary(): string {
  const override = process.env.ANVIL_BIN
  if (override) return override
  const platformPackage = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`]
  if (!platformPackage)
    throw new Error(`@foundry-rs/anvil ships no binary for ${process.platform}-${process.arch}`)
  const require = createRequire(import.meta.url)
  const anvilDir = dirname(require.resolve('@foundry-rs/anvil/package.json'))
  const fromAnvil = createRequire(join(anvilDir, 'package.json'))
  const binDir = join(dirname(fromAnvil.resolve(`@foundry-rs/${platformPackage}/package.json`)), 'bin')
  const binary = join(binDir, process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  if (!existsSync(binary)) throw new Error(`anvil binary missing at ${binary}`)
  return binary
}

const SETPRIV = '/usr/bin/setpriv'

/**
 * Spawns `binary` so that it ends with this process even when this process is SIGKILLed (a test runner's
 * worker killed on a timeout), where no exit handler runs: on Linux through util-linux `setpriv
 * --pdeathsig`, which sets the parent-death signal and then execs the binary. The signal is TERM, on which
 * anvil writes its `--state` file before it exits. Linux sends it when the *thread* that spawned the child
 * ends: start chains from a thread that lives as long as they should. Elsewhere, or without setpriv, a
 * plain spawn (the exit handler below still covers a normal exit).
 */
function spawnTiedToThisProcess(binary: string, args: string[]): ChildProcess {
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe']
  if (process.platform === 'linux' && existsSync(SETPRIV)) {
    return spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', binary, ...args], { stdio })
  }
  return spawn(binary, args, { stdio })
}

/**
 * Starts anvil on 127.0.0.1 and resolves once it listens.
 *
 * @example
 * ```ts
 * const chain = await startAnvil({ chainId: 31337 })
 * console.log(chain.rpcUrl)
 * await chain.stop()
 * ```
 */
export async function startAnvil(init: AnvilInit): Promise<AnvilChain> {
  const args = ['--host', '127.0.0.1', '--port', String(init.port ?? 0), '--chain-id', String(init.chainId)]
  args.push('--hardfork', 'cancun')
  if (init.statePath) args.push('--state', init.statePath)
  if (init.blockTime) args.push('--block-time', String(init.blockTime))
  const child: ChildProcess = spawnTiedToThisProcess(findAnvilBinary(), args)
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`anvil did not start within ${init.startTimeoutMs ?? 30_000} ms: ${output.slice(-2000)}`),
      )
    }, init.startTimeoutMs ?? 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`anvil exited with code ${code}: ${output.slice(-2000)}`))
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  // Keep draining output so the pipe never fills (and stop collecting it).
  child.stdout?.removeAllListeners('data')
  child.stderr?.removeAllListeners('data')
  child.stdout?.resume()
  child.stderr?.resume()
  // If this process exits without stop() (a test runner giving up on a hook), anvil must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve()
    else child.once('exit', () => resolve())
  }).finally(() => process.removeListener('exit', killOnExit))
  let stopping: Promise<void> | undefined
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    chainId: init.chainId,
    port,
    stop() {
      if (stopping) return stopping
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      stopping = exited.finally(() => clearTimeout(timer))
      return stopping
    },
  }
}
