import { readFileSync } from 'node:fs'
import {
  Contract,
  ContractFactory,
  FetchRequest,
  type InterfaceAbi,
  JsonRpcProvider,
  type Signer,
  toBeHex,
  Wallet,
} from 'ethers'
import type { BytecodeOverrides } from '../src/deploy.js'
import { artifacts, type ContractName } from '../src/generated/artifacts.js'
import { type LocalChains, startLocalChains } from '../src/local/start-local-chains.js'

/** Bytecode overrides from the mutation script (BRIDGE_BYTECODE_OVERRIDES = path of a JSON file). */
export function bytecodeOverrides(): BytecodeOverrides | undefined {
  const path = process.env.BRIDGE_BYTECODE_OVERRIDES
  return path ? (JSON.parse(readFileSync(path, 'utf8')) as BytecodeOverrides) : undefined
}

export interface TestChains extends LocalChains {
  eth: JsonRpcProvider
  pol: JsonRpcProvider
  /** Wallet i on each chain. */
  ethWallet(i: number): Wallet
  polWallet(i: number): Wallet
}

/** A request to a local anvil fails after 30 s (ethers' default is 5 min, longer than any test). */
function rpcRequest(url: string): FetchRequest {
  const request = new FetchRequest(url)
  request.timeout = 30_000
  return request
}

/**
 * Settles like `promise`, or rejects after `ms` with an error that says which step (`what`) stopped
 * answering, so a stuck step fails the test quickly instead of running into the runner's timeout.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

export async function startTestChains(): Promise<TestChains> {
  const overrides = bytecodeOverrides()
  const chains = await startLocalChains({ autoRelay: false, ...(overrides ? { bytecode: overrides } : {}) })
  const eth = new JsonRpcProvider(rpcRequest(chains.ethereum.rpcUrl), chains.ethereum.chainId, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1,
  })
  const pol = new JsonRpcProvider(rpcRequest(chains.polygon.rpcUrl), chains.polygon.chainId, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1,
  })
  const stop = chains.stop
  return {
    ...chains,
    eth,
    pol,
    ethWallet: (i) => new Wallet(chains.accounts[i]!.privateKey, eth),
    polWallet: (i) => new Wallet(chains.accounts[i]!.privateKey, pol),
    async stop() {
      eth.destroy()
      pol.destroy()
      await stop()
    },
  }
}

export function contractAt(name: ContractName, address: string, runner: Signer | JsonRpcProvider): Contract {
  return new Contract(address, artifacts[name].abi as unknown as InterfaceAbi, runner)
}

export async function deployArtifact(signer: Signer, name: ContractName, args: unknown[]): Promise<Contract> {
  const bytecode = bytecodeOverrides()?.[name] ?? artifacts[name].bytecode
  const factory = new ContractFactory(artifacts[name].abi as unknown as InterfaceAbi, bytecode, signer)
  const c = await factory.deploy(...args)
  await c.waitForDeployment()
  return c as unknown as Contract
}

export async function increaseTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [toBeHex(seconds)])
  await provider.send('evm_mine', [])
}

export async function mine(provider: JsonRpcProvider, blocks: number): Promise<void> {
  await provider.send('anvil_mine', [toBeHex(blocks)])
}

export async function fund(provider: JsonRpcProvider, address: string): Promise<void> {
  await provider.send('anvil_setBalance', [address, toBeHex(10n ** 20n)])
}

/** Runs `fn`, expecting it to throw an error whose `name` is `name`; returns it. */
export async function expectErrorNamed(fn: () => Promise<unknown>, name: string): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    if ((err as Error).name !== name) {
      throw new Error(`expected ${name}, got ${(err as Error).name}: ${(err as Error).message}`)
    }
    return err as Error
  }
  throw new Error(`expected ${name}, but the call succeeded`)
}

export const STOS = 10n ** 18n

/** Runs `fn`, expecting a contract revert whose decoded reason (custom error name) is `reason`. */
export async function expectRevert(fn: () => Promise<unknown>, reason: string): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    if ((err as { reason?: string }).reason !== reason) {
      throw new Error(`expected revert ${reason}, got ${(err as Error).name}: ${(err as Error).message}`)
    }
    return err as Error
  }
  throw new Error(`expected revert ${reason}, but the call succeeded`)
}
