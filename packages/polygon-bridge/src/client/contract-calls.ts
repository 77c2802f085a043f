/**
 * What every call of the bridge client shares: the two chains, contracts to read and to write, and `send`,
 * which waits (bounded) for a transaction and turns its revert into a typed error.
 */
import { Contract, type InterfaceAbi, type Signer, type TransactionReceipt } from 'ethers'
import type { BridgeAddresses } from '../address-book.js'
import { type ResolvedChain, resolveChain } from '../connection.js'
import { decodeContractError, NotDeployedError } from '../errors.js'
import { artifacts } from '../generated/artifacts.js'
import { waitForMined } from '../wait-for-receipt.js'
import type { BridgeClientInit } from './bridge-client-types.js'

/** The address of a deployed contract, or a typed error naming what is missing. */
export function need(address: string | undefined, what: string): string {
  if (!address) {
    throw new NotDeployedError(
      `No ${what} address in the address book for this network`,
      'Deploy it and add it to the address book',
    )
  }
  return address
}

function abi(name: keyof typeof artifacts): InterfaceAbi {
  return artifacts[name].abi as unknown as InterfaceAbi
}

/** The shared plumbing of one bridge client. */
export interface ContractCalls {
  readonly addresses: BridgeAddresses
  readonly eth: ResolvedChain
  readonly pol: ResolvedChain
  reader(chain: ResolvedChain, address: string, name: keyof typeof artifacts): Promise<Contract>
  writer(
    chain: ResolvedChain,
    address: string,
    name: keyof typeof artifacts,
  ): Promise<{ contract: Contract; signer: Signer; from: string }>
  send(
    contract: Contract,
    method: string,
    args: unknown[],
    pause?: { token: boolean; pausable?: boolean },
  ): Promise<TransactionReceipt>
  ensureAllowance(chain: ResolvedChain, token: string, spender: string, amount: bigint): Promise<void>
  /** The ERC-20 `StoragePayments` takes: bridged STOS on Polygon (read once). */
  getPaymentToken(): Promise<string>
}

/** Resolves both chains once and builds the calls every part of the client shares. */
export function createContractCalls(init: BridgeClientInit): ContractCalls {
  const { addresses } = init
  const eth = resolveChain(init.ethereum, addresses.ethereum.chainId, 'Ethereum')
  const pol = resolveChain(init.polygon, addresses.polygon.chainId, 'Polygon')

  async function reader(
    chain: ResolvedChain,
    address: string,
    name: keyof typeof artifacts,
  ): Promise<Contract> {
    return new Contract(address, abi(name), await chain.provider())
  }

  async function writer(
    chain: ResolvedChain,
    address: string,
    name: keyof typeof artifacts,
  ): Promise<{ contract: Contract; signer: Signer; from: string }> {
    const signer = await chain.signer()
    return { contract: new Contract(address, abi(name), signer), signer, from: await signer.getAddress() }
  }

  /** Sends, waits (bounded) until mined, and turns reverts into typed errors (token vs contract pauses). */
  async function send(
    contract: Contract,
    method: string,
    args: unknown[],
    pause: { token: boolean; pausable?: boolean } = { token: false },
  ): Promise<TransactionReceipt> {
    try {
      const tx = await contract.getFunction(method).send(...args)
      return await waitForMined(tx, init.txTimeoutMs === undefined ? {} : { timeoutMs: init.txTimeoutMs })
    } catch (err) {
      let tokenPaused = pause.token
      if (!tokenPaused && pause.pausable) {
        try {
          tokenPaused = !(await contract.getFunction('paused').staticCall())
        } catch {
          tokenPaused = false
        }
      } else if (!pause.pausable) {
        tokenPaused = true
      }
      throw decodeContractError(err, { tokenPaused })
    }
  }

  async function ensureAllowance(
    chain: ResolvedChain,
    token: string,
    spender: string,
    amount: bigint,
  ): Promise<void> {
    const { contract, from } = await writer(chain, token, 'TestStos')
    const allowance = (await contract.getFunction('allowance').staticCall(from, spender)) as bigint
    if (allowance >= amount) return
    await send(contract, 'approve', [spender, amount], { token: true })
  }

  let paymentToken: Promise<string> | undefined
  function getPaymentToken(): Promise<string> {
    paymentToken ??= reader(
      pol,
      need(addresses.polygon.storagePayments, 'StoragePayments'),
      'StoragePayments',
    ).then((c) => c.getFunction('token').staticCall() as Promise<string>)
    return paymentToken
  }

  return { addresses, eth, pol, reader, writer, send, ensureAllowance, getPaymentToken }
}
