import type { Ticket } from '@stratos-edge/core'
import type { Logger } from '../logger.js'
import type { OzoneLedgerStore } from './ozone-ledger-store.js'

/** Options of {@link createUploadRefunds}. */
export interface UploadRefundsInit {
  /** How often expired upload tickets are looked for, ms (default 60 000). */
  intervalMs?: number
}

/** The edges of {@link createUploadRefunds}. */
export interface UploadRefundsComponents {
  store: Pick<OzoneLedgerStore, 'commitUpload' | 'releaseExpiredUploads'>
  logger: Logger
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
}

/** Gives owners back the ozone their upload tickets reserved and did not use. */
export interface UploadRefunds {
  /** A file committed under `ticket` with `size` bytes: the unused share goes back. */
  committed(ticket: Ticket, size: number): Promise<void>
  /** Gives back what expired uncommitted tickets reserve; returns the ozone given back. */
  releaseExpired(): Promise<bigint>
  start(): void
  stop(): void
}

/**
 * Upload refunds: a ticket reserves `bytes × ozonePerByte` of its owner's ozone when issued; when its
 * file commits with fewer bytes, the unused share goes back at once, and when it expires uncommitted,
 * all of it (checked every minute). Each ticket is settled once (the ledger records it).
 *
 * @example
 * ```ts
 * const refunds = createUploadRefunds({}, { store: ledgerStore, logger })
 * createMetaService({ ..., onUploadCommitted: refunds.committed })
 * refunds.start()
 * ```
 */
export function createUploadRefunds(init: UploadRefundsInit, c: UploadRefundsComponents): UploadRefunds {
  const now = c.now ?? Date.now
  let timer: ReturnType<typeof setInterval> | undefined
  const releaseExpired = async (): Promise<bigint> => {
    const { tickets, ozone } = await c.store.releaseExpiredUploads(Math.floor(now() / 1000))
    if (tickets > 0) c.logger.info('expired upload tickets gave back their ozone', { tickets, ozone })
    return ozone
  }
  return {
    async committed(ticket, size) {
      const back = await c.store.commitUpload(ticket.id, BigInt(size), ticket.bytesAllowed)
      if (back > 0n) c.logger.debug('upload ticket gave back its unused ozone', { ticket: ticket.id, back })
    },
    releaseExpired,
    start() {
      if (timer) return
      timer = setInterval(() => {
        releaseExpired().catch((error: unknown) => c.logger.warn('upload refunds failed', { error }))
      }, init.intervalMs ?? 60_000)
      timer.unref?.()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
