import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Ticket, TrafficReceipt } from '@stratos-edge/core'
import type { ReceiptVerifier, TicketVerifier } from './traffic-settlement.js'

/** Options of {@link createWorkerReceiptVerifier}. */
export interface WorkerReceiptVerifierInit {
  /** Worker threads; default the machine's parallelism. */
  threads?: number
  /** Recover signers in JavaScript even when the native `secp256k1` addon loads (to compare the two). */
  forceJavaScript?: boolean
}

/** A {@link ReceiptVerifier} over worker threads; `close()` ends them. */
export interface WorkerReceiptVerifier {
  readonly verify: ReceiptVerifier
  readonly verifyTickets: TicketVerifier
  /** Whether the threads recover signers natively (libsecp256k1) rather than in JavaScript. */
  native(): Promise<boolean>
  close(): Promise<void>
}

/**
 * Checks downloader signatures on worker threads, a submission split evenly across them. ECDSA recovery
 * is the settlement's main cost (see `bench/suites/meta-epoch.bench.ts`): the threads recover natively
 * with libsecp256k1 when the `secp256k1` addon loads (about 10 times JavaScript's rate), in JavaScript
 * otherwise, over every core. Runs from the built package (`dist/`), where the worker's script is
 * JavaScript.
 *
 * @example
 * ```ts
 * const pool = createWorkerReceiptVerifier({ threads: 2 })
 * const settlement = createTrafficSettlement(init, { ...components, verifier: pool.verify })
 * await pool.close()
 * ```
 */
export function createWorkerReceiptVerifier(init: WorkerReceiptVerifierInit = {}): WorkerReceiptVerifier {
  const threads = Math.max(1, init.threads ?? availableParallelism())
  const script = new URL('./receipt-verify-worker.js', import.meta.url)
  const pending = new Map<number, { resolve: (valid: Uint8Array) => void; reject: (err: unknown) => void }>()
  const workers = Array.from({ length: threads }, () => {
    const w = new Worker(script, { workerData: { forceJavaScript: init.forceJavaScript === true } })
    w.on('message', (msg: { id: number; valid: Uint8Array }) => {
      pending.get(msg.id)?.resolve(msg.valid)
      pending.delete(msg.id)
    })
    // A dead worker fails every batch in flight; the provider's submission can be retried.
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err)
      pending.clear()
    })
    w.unref()
    return w
  })
  let nextId = 0

  function send(worker: Worker, msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Uint8Array> {
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      worker.postMessage({ id, ...msg }, transfer)
    })
  }

  // Receipts and tickets cross as structured clones: re-encoding them here would cost this thread
  // (the settlement's busiest) more than the clone, and the threads check exactly the objects given.
  function run(worker: Worker, receipts: readonly TrafficReceipt[]): Promise<Uint8Array> {
    return send(worker, { receipts }, [])
  }

  function runTickets(worker: Worker, tickets: readonly Ticket[], issuers: readonly string[]) {
    return send(worker, { tickets, issuers: [...issuers] }, [])
  }

  return {
    async verify(receipts) {
      if (receipts.length === 0) return []
      const per = Math.ceil(receipts.length / workers.length)
      const parts = await Promise.all(workers.map((w, i) => run(w, receipts.slice(i * per, (i + 1) * per))))
      return parts.flatMap((valid) => [...valid].map((v) => v === 1))
    },
    async verifyTickets(tickets, issuers) {
      if (tickets.length === 0) return []
      const per = Math.ceil(tickets.length / workers.length)
      const parts = await Promise.all(
        workers.map((w, i) => runTickets(w, tickets.slice(i * per, (i + 1) * per), issuers)),
      )
      return parts.flatMap((valid) => [...valid].map((v) => v === 1))
    },
    async native() {
      const answers = await Promise.all(workers.map((w) => send(w, { probe: true }, [])))
      return answers.every((a) => a[0] === 1)
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
