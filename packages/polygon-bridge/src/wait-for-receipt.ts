import { AbortedError } from '@stratos-edge/core'
import { makeError, type Provider, type TransactionReceipt, type TransactionResponse } from 'ethers'
import { TransactionReplacedError, TransactionTimeoutError } from './errors.js'

/** Options of {@link waitForReceipt} and {@link waitForMined}. */
export interface WaitForReceiptOptions {
  /** Give up with a `TransactionTimeoutError` after this long; default 5 minutes. */
  timeoutMs?: number
  /** Time between receipt requests; default: the provider's `pollingInterval`, at most 1 s. */
  pollMs?: number
  /** Stops waiting with an `AbortedError`. */
  signal?: AbortSignal
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000
const MAX_POLL_MS = 1000
/** How long a receipt may lag behind the sender's nonce before the transaction counts as replaced. */
const REPLACED_GRACE_MS = 3000

/** Sleeps `ms`, or rejects with an `AbortedError` when `signal` fires first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(aborted(signal!))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function aborted(signal: AbortSignal): Error {
  const reason = signal.reason as unknown
  if (typeof reason === 'object' && reason !== null && (reason as Error).name === 'AbortedError') {
    return reason as Error
  }
  return new AbortedError('Stopped waiting for the transaction', undefined, { cause: reason })
}

/** Settles like `promise`, or rejects with `onTimeout()` after `ms`, or with an `AbortedError` on `signal`. */
function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined, onTimeout: () => Error) {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      done()
      reject(aborted(signal!))
    }
    const timer = setTimeout(
      () => {
        done()
        reject(onTimeout())
      },
      Math.max(0, ms),
    )
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        done()
        resolve(value)
      },
      (err: unknown) => {
        done()
        reject(err)
      },
    )
  })
}

function pollInterval(provider: unknown, options: WaitForReceiptOptions): number {
  if (options.pollMs !== undefined) return options.pollMs
  const interval = (provider as { pollingInterval?: unknown }).pollingInterval
  return typeof interval === 'number' && interval > 0 ? Math.min(interval, MAX_POLL_MS) : MAX_POLL_MS
}

/**
 * Resolves with the receipt of transaction `hash` once it is mined, asking the node for the receipt itself
 * every `pollMs`. ethers' `provider.waitForTransaction()` and `tx.wait()` instead wait for a "new block" event
 * after a first receipt check; when the transaction is mined between that check and the block poller's first
 * block number, the event never comes on a chain that mines only on demand (anvil), and they wait forever.
 * Every request and the whole wait are bounded by `timeoutMs`.
 *
 * @example
 * ```ts
 * const hash = await provider.send('eth_sendTransaction', [tx])
 * const receipt = await waitForReceipt(provider, hash, { timeoutMs: 30_000 })
 * ```
 */
export async function waitForReceipt(
  provider: Pick<Provider, 'getTransactionReceipt'>,
  hash: string,
  options: WaitForReceiptOptions = {},
): Promise<TransactionReceipt> {
  return poll(provider, hash, options, async () => false)
}

/**
 * Waits until `tx` is mined (see {@link waitForReceipt}) and returns its receipt; a mined revert throws
 * ethers' `CALL_EXCEPTION` error, as `tx.wait()` does, and a transaction whose nonce was taken by another one
 * (sped up or cancelled in the wallet) throws a `TransactionReplacedError`.
 *
 * @example
 * ```ts
 * const tx = await contract.getFunction('prepay').send(beneficiary, amount)
 * const receipt = await waitForMined(tx, { timeoutMs: 120_000 })
 * ```
 */
export async function waitForMined(
  tx: TransactionResponse,
  options: WaitForReceiptOptions = {},
): Promise<TransactionReceipt> {
  const receipt = await poll(tx.provider, tx.hash, options, async () => {
    if ((await tx.provider.getTransactionCount(tx.from, 'latest')) <= tx.nonce) return false
    // Its nonce is used; by this transaction itself when the node knows it as mined (receipt still to come).
    const known = await tx.provider.getTransaction(tx.hash)
    return known?.blockNumber == null
  })
  if (receipt.status === 0) {
    // The error ethers' tx.wait() throws for a mined revert, so callers decode it the same way.
    throw makeError('transaction execution reverted', 'CALL_EXCEPTION', {
      action: 'sendTransaction',
      data: null,
      reason: null,
      invocation: null,
      revert: null,
      transaction: { to: receipt.to, from: receipt.from, data: '' },
      receipt,
    } as never)
  }
  return receipt
}

async function poll(
  provider: Pick<Provider, 'getTransactionReceipt'>,
  hash: string,
  options: WaitForReceiptOptions,
  replaced: () => Promise<boolean>,
): Promise<TransactionReceipt> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const pollMs = pollInterval(provider, options)
  const deadline = Date.now() + timeoutMs
  const timedOut = (): Error =>
    new TransactionTimeoutError(
      `Transaction ${hash} was not mined within ${timeoutMs} ms`,
      'It may still be pending: look it up on the chain before sending it again',
    )
  let replacedSince: number | undefined
  for (;;) {
    const receipt = await within(
      provider.getTransactionReceipt(hash),
      deadline - Date.now(),
      options.signal,
      timedOut,
    )
    if (receipt) return receipt
    if (await within(replaced(), deadline - Date.now(), options.signal, timedOut)) {
      // The receipt just read may be stale (ethers providers cache identical requests, 250 ms by default, so a
      // receipt asked for again at once comes from that cache): only a replacement that persists counts.
      replacedSince ??= Date.now()
      if (Date.now() - replacedSince >= Math.max(REPLACED_GRACE_MS, 3 * pollMs)) {
        throw new TransactionReplacedError(
          `Transaction ${hash} was replaced: another transaction used its nonce`,
          'It was sped up or cancelled in the wallet; check the replacement before sending again',
        )
      }
    } else {
      replacedSince = undefined
    }
    const left = deadline - Date.now()
    if (left <= 0) throw timedOut()
    await sleep(Math.min(pollMs, left), options.signal)
  }
}
