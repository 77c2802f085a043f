/**
 * The page side of `claim()` with a wallet: the worker plans the claims (epochs, proofs, call data);
 * the page's EIP-1193 wallet sends each and pays the gas. The STOS goes to the node's account whoever
 * sends.
 */
import type { Eip1193Provider } from '@stratos-edge/core'
import type { ClaimResult, PutSigner, RewardClaimCall } from '../api-types.js'
import { ClaimFailedError, ClaimSignerError, NothingToClaimError } from '../errors.js'

/** Longest wait for one claim to be mined. */
const MINE_TIMEOUT_MS = 120_000

/**
 * Sends `calls` from the wallet's first account and waits until each is mined.
 *
 * @example
 * ```ts
 * const result = await claimWithWallet(await node.claimPlan(), window.ethereum)
 * ```
 */
export async function claimWithWallet(calls: RewardClaimCall[], signer: PutSigner): Promise<ClaimResult> {
  if (typeof (signer as Partial<Eip1193Provider>).request !== 'function') {
    throw new ClaimSignerError(
      'The claim signer only signs typed data; a claim is a transaction',
      'Pass an EIP-1193 wallet (window.ethereum), or no signer to claim with the node key',
    )
  }
  if (calls.length === 0) {
    throw new NothingToClaimError(
      'No settled epoch has an unclaimed reward for this node',
      'Serve slices, wait until the epoch settles and its root is posted, then claim',
    )
  }
  const wallet = signer as Eip1193Provider
  const accounts = (await wallet.request({ method: 'eth_accounts' })) as string[]
  const from = accounts[0] ?? ((await wallet.request({ method: 'eth_requestAccounts' })) as string[])[0]
  const txHashes: string[] = []
  for (const c of calls) {
    const hash = (await wallet.request({
      method: 'eth_sendTransaction',
      params: [{ from, to: c.to, data: c.data }],
    })) as string
    const deadline = Date.now() + MINE_TIMEOUT_MS
    for (;;) {
      const receipt = (await wallet.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
        status?: string
      } | null
      if (receipt) {
        if (receipt.status !== '0x1')
          throw new ClaimFailedError(
            `Claim of epoch ${c.epoch} reverted (${hash})`,
            'Check traffic() and claim again',
          )
        break
      }
      if (Date.now() > deadline)
        throw new ClaimFailedError(
          `Claim of epoch ${c.epoch} not mined in time (${hash})`,
          'Check the wallet’s chain',
        )
      await new Promise((r) => setTimeout(r, 250))
    }
    txHashes.push(hash)
  }
  return {
    epochs: calls.map((c) => c.epoch),
    amount: calls.reduce((sum, c) => sum + BigInt(c.amount), 0n).toString(),
    txHashes,
  }
}
