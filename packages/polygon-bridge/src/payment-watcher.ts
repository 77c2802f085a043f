import { Interface, type InterfaceAbi, type Provider } from 'ethers'
import { DeepReorgError } from './errors.js'
import { artifacts } from './generated/artifacts.js'

/** A prepayment the watcher hands to the meta service, once. */
export interface PaymentCredit {
  /** `${chainId}:${txHash}:${logIndex}`: the idempotency key. */
  key: string
  chainId: number
  txHash: string
  logIndex: number
  blockNumber: number
  blockHash: string
  paymentId: bigint
  payer: string
  beneficiary: string
  amount: bigint
}

/** A refund the watcher hands to the meta service, once: the payer took back the unsettled rest. */
export interface RefundDebit {
  /** `${chainId}:${txHash}:${logIndex}`: the idempotency key. */
  key: string
  chainId: number
  txHash: string
  logIndex: number
  blockNumber: number
  paymentId: bigint
  payer: string
  /** STOS returned to the payer; the payment is closed. */
  amount: bigint
}

/** What the watcher persists. */
export interface PaymentWatcherState {
  /** Last block fully processed, with its hash (to notice reorgs deeper than the confirmation depth). */
  cursor: { blockNumber: number; blockHash: string } | undefined
  /** Keys already credited, with their block numbers (pruned below cursor − pruneDepth). */
  credited: Record<string, number>
}

/** Where the watcher keeps its state across restarts (JSON file in Node: `createJsonFileWatcherStore`). */
export interface PaymentWatcherStore {
  load(): Promise<PaymentWatcherState | undefined>
  save(state: PaymentWatcherState): Promise<void>
}

/** Options of {@link createPaymentWatcher}. */
export interface PaymentWatcherInit {
  /** StoragePayments address on Polygon. */
  storagePayments: string
  /** Chain id (part of every key). */
  chainId: number
  /** A payment is credited once its block has this many confirmations (the block itself counts as 1). */
  confirmations: number
  /** First block to scan when the store is empty (the contract's deployment block). */
  fromBlock?: number
  /** Poll period for `start()`; default 2000 ms. */
  pollIntervalMs?: number
  /** Max blocks per `eth_getLogs`; default 2000. */
  maxBlockRange?: number
  /** Keep credited keys this many blocks below the cursor; default 100000. */
  pruneDepth?: number
}

/** The edges the watcher talks to. */
export interface PaymentWatcherComponents {
  provider: Provider
  store: PaymentWatcherStore
  /**
   * Credits the payment. Called once per key; if the process dies after it resolves but before the store
   * saved, it is called again with the same key on restart, so make it idempotent by `credit.key`.
   */
  onPayment(credit: PaymentCredit): Promise<void>
  /**
   * Told once per `Refunded` event (same key scheme and confirmation depth): stop crediting ozone from that
   * payment. Refunds are skipped (still marked processed) when this is not given.
   */
  onRefund?(debit: RefundDebit): Promise<void>
  /** Told when the chain reorganised below the cursor (deeper than `confirmations`); the watcher rewinds. */
  onError?(err: Error): void
}

/** A running watcher. */
export interface PaymentWatcher {
  /** Scans once up to the confirmed head; resolves with the credits made. */
  poll(): Promise<PaymentCredit[]>
  start(): void
  stop(): Promise<void>
}

/** In-memory store (tests, or a meta service that persists elsewhere). */
export function createMemoryWatcherStore(): PaymentWatcherStore & { state: PaymentWatcherState | undefined } {
  const store = {
    state: undefined as PaymentWatcherState | undefined,
    async load() {
      return store.state ? structuredClone(store.state) : undefined
    },
    async save(state: PaymentWatcherState) {
      store.state = structuredClone(state)
    },
  }
  return store
}

/**
 * Watches `Prepaid` (and `Refunded`) events and credits each payment exactly once, keyed by (chain id,
 * transaction hash, log index), only after `confirmations` blocks, so a payment in a block that a reorg removes before then is never
 * credited. State lives in the injected store: a new watcher on the same store resumes without double credit.
 *
 * @example
 * ```ts
 * const watcher = createPaymentWatcher(
 *   { storagePayments, chainId: 137, confirmations: 64, fromBlock: deployBlock },
 *   { provider, store: createJsonFileWatcherStore('./data/payments.json'), onPayment: async (c) => meta.credit(c) },
 * )
 * watcher.start()
 * ```
 */
export function createPaymentWatcher(
  init: PaymentWatcherInit,
  components: PaymentWatcherComponents,
): PaymentWatcher {
  if (!Number.isInteger(init.confirmations) || init.confirmations < 1) {
    throw new RangeError('confirmations must be an integer >= 1')
  }
  const iface = new Interface(artifacts.StoragePayments.abi as unknown as InterfaceAbi)
  const prepaid = iface.getEvent('Prepaid')!
  const refunded = iface.getEvent('Refunded')!
  const maxRange = init.maxBlockRange ?? 2000
  const pruneDepth = init.pruneDepth ?? 100_000
  let running: Promise<PaymentCredit[]> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = true

  async function pollOnce(): Promise<PaymentCredit[]> {
    const { provider, store } = components
    const state: PaymentWatcherState = (await store.load()) ?? { cursor: undefined, credited: {} }
    if (state.cursor) {
      const block = await provider.getBlock(state.cursor.blockNumber)
      if (!block || block.hash !== state.cursor.blockHash) {
        const rewindTo = Math.max((init.fromBlock ?? 0) - 1, state.cursor.blockNumber - init.confirmations)
        components.onError?.(
          new DeepReorgError(
            `Block ${state.cursor.blockNumber} changed after it had ${init.confirmations} confirmations`,
            'Raise confirmations; payments are re-scanned from the rewound cursor and credited keys are kept',
          ),
        )
        const rewound = rewindTo >= 0 ? await provider.getBlock(rewindTo) : null
        state.cursor = rewound ? { blockNumber: rewindTo, blockHash: rewound.hash! } : undefined
        await store.save(state)
      }
    }
    const head = await provider.getBlockNumber()
    const confirmedHead = head - init.confirmations + 1
    let from = state.cursor ? state.cursor.blockNumber + 1 : (init.fromBlock ?? 0)
    const credits: PaymentCredit[] = []
    while (from <= confirmedHead) {
      const to = Math.min(confirmedHead, from + maxRange - 1)
      const logs = await provider.getLogs({
        address: init.storagePayments,
        topics: [[prepaid.topicHash, refunded.topicHash]],
        fromBlock: from,
        toBlock: to,
      })
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      for (const log of logs) {
        if (log.removed) continue
        const key = `${init.chainId}:${log.transactionHash.toLowerCase()}:${log.index}`
        if (key in state.credited) continue
        const parsed = iface.parseLog(log)!
        if (parsed.name === 'Refunded') {
          await components.onRefund?.({
            key,
            chainId: init.chainId,
            txHash: log.transactionHash,
            logIndex: log.index,
            blockNumber: log.blockNumber,
            paymentId: parsed.args[0] as bigint,
            payer: parsed.args[1] as string,
            amount: parsed.args[2] as bigint,
          })
          state.credited[key] = log.blockNumber
          await store.save(state)
          continue
        }
        const credit: PaymentCredit = {
          key,
          chainId: init.chainId,
          txHash: log.transactionHash,
          logIndex: log.index,
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          paymentId: parsed.args[0] as bigint,
          payer: parsed.args[1] as string,
          beneficiary: parsed.args[2] as string,
          amount: parsed.args[3] as bigint,
        }
        await components.onPayment(credit)
        state.credited[key] = log.blockNumber
        await store.save(state)
        credits.push(credit)
      }
      const end = await provider.getBlock(to)
      state.cursor = { blockNumber: to, blockHash: end!.hash! }
      for (const [key, blockNumber] of Object.entries(state.credited)) {
        if (blockNumber < to - pruneDepth) delete state.credited[key]
      }
      await store.save(state)
      from = to + 1
    }
    return credits
  }

  const watcher: PaymentWatcher = {
    poll() {
      running ??= pollOnce().finally(() => {
        running = undefined
      })
      return running
    },
    start() {
      if (!stopped) return
      stopped = false
      const tick = (): void => {
        watcher
          .poll()
          .catch((err: unknown) => components.onError?.(err as Error))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, init.pollIntervalMs ?? 2000)
          })
      }
      tick()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running?.catch(() => undefined)
    },
  }
  return watcher
}
