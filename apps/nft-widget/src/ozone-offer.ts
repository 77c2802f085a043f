/**
 * When the owner's ozone is short: turn the light node's `InsufficientOzoneError` into an offer, and if the
 * creator accepts, prepay STOS on Polygon, then upload again until the meta service has credited the payment.
 * Apart from the DOM, so it can be tested with a fake node.
 */
import { OzoneShortError, PrepayFailedError } from './errors.js'

/** A prepayment sent to `StoragePayments` on Polygon. */
export interface PrepayReceipt {
  readonly hash: string
  readonly blockNumber: number
  readonly paymentId: bigint
  /** The account credited (`0x…` or `st1…`, as asked). */
  readonly beneficiary: string
  /** STOS paid, in wei (18 decimals). */
  readonly amount: bigint
}

/** Options of {@link uploadWithPrepayOffer}. */
export interface PrepayOfferInit<T> {
  /** The upload; run again after a prepayment. */
  upload: () => Promise<T>
  /** Asks the creator whether to prepay `amount` STOS (wei) for `short`; resolves false to decline. */
  offer: (short: OzoneShortError, amount: bigint) => Promise<boolean>
  /** Sends the prepayment for `beneficiary` (loaded lazily by the caller). */
  prepay: (beneficiary: string, amount: bigint) => Promise<PrepayReceipt>
  /** STOS (wei) to prepay. */
  amount: bigint
  /** The account that owns the upload, when known (the wallet's address); else the one the error names. */
  owner?: string | undefined
  /** How long to keep uploading again while the payment is being credited; default 120 s. */
  creditWaitMs?: number
  /** Pause between those attempts; default 2 s. */
  retryDelayMs?: number
  /** Called once the prepayment is mined. */
  onPrepaid?: (receipt: PrepayReceipt) => void
  signal?: AbortSignal
}

/**
 * The widget's `OzoneShortError` for a light node's `InsufficientOzoneError` (checked by `.name`), with the
 * owner and the shortfall in bytes from its fields (core's `InsufficientOzoneError` carries them; the
 * message is for people and is not read); undefined for any other error.
 */
export function ozoneShortOf(err: unknown): OzoneShortError | undefined {
  const e = err as { name?: unknown; owner?: unknown; shortfallBytes?: unknown }
  if (e?.name === 'OzoneShortError') return err as OzoneShortError
  if (e?.name !== 'InsufficientOzoneError') return undefined
  const owner = typeof e.owner === 'string' ? e.owner : undefined
  const field = e.shortfallBytes
  const shortfall = typeof field === 'bigint' || typeof field === 'number' ? BigInt(field) : undefined
  const what = shortfall !== undefined ? `${shortfall} bytes` : 'some bytes'
  const short = new OzoneShortError(
    `The storage prepaid for ${owner ?? 'this account'} is ${what} short of this upload`,
    'Prepay STOS on Polygon to go on',
    { cause: err },
  )
  short.owner = owner
  short.shortfallBytes = shortfall
  return short
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/**
 * Runs `upload`; when it fails because the owner's ozone is short, offers to prepay, prepays if accepted,
 * and uploads again (waiting, bounded, for the meta service to credit the payment). A declined offer
 * rethrows the `OzoneShortError`; a failed prepayment throws `PrepayFailedError`.
 *
 * @example
 * ```ts
 * const result = await uploadWithPrepayOffer({
 *   upload: () => uploadNft(init), amount: 10n ** 19n, owner: wallet,
 *   offer: async (short) => confirm(short.message),
 *   prepay: async (beneficiary, amount) => (await import('./ozone-prepay.js')).prepayOzone({ … }),
 * })
 * ```
 */
export async function uploadWithPrepayOffer<T>(init: PrepayOfferInit<T>): Promise<T> {
  try {
    return await init.upload()
  } catch (err) {
    const short = ozoneShortOf(err)
    if (!short) throw err
    const beneficiary = init.owner ?? short.owner
    if (!beneficiary || !(await init.offer(short, init.amount))) throw short
    let receipt: PrepayReceipt
    try {
      receipt = await init.prepay(beneficiary, init.amount)
    } catch (cause) {
      const name = (cause as Error | undefined)?.name
      if (name === 'PrepayFailedError') throw cause
      throw new PrepayFailedError(
        (cause as { code?: unknown })?.code === 4001 || name === 'UserRejectedError'
          ? 'You declined the payment in your wallet'
          : 'The prepayment on Polygon did not go through',
        'Check you have STOS and gas on Polygon, then press Retry',
        { cause },
      )
    }
    init.onPrepaid?.(receipt)
    const deadline = Date.now() + (init.creditWaitMs ?? 120_000)
    for (;;) {
      try {
        return await init.upload()
      } catch (again) {
        if (!ozoneShortOf(again) || Date.now() >= deadline) throw ozoneShortOf(again) ?? again
      }
      await sleep(init.retryDelayMs ?? 2_000, init.signal)
    }
  }
}

const WEI = 10n ** 18n

/** STOS written in decimal (`"10"`, `"2.5"`) as wei; undefined when malformed or not positive. */
export function parseStos(text: string | null | undefined): bigint | undefined {
  const m = text?.trim().match(/^(\d+)(?:\.(\d{1,18}))?$/)
  if (!m) return undefined
  const wei = BigInt(m[1] as string) * WEI + BigInt((m[2] ?? '').padEnd(18, '0') || '0')
  return wei > 0n ? wei : undefined
}

/** Wei as decimal STOS (`2500000000000000000n` → `"2.5"`). */
export function formatStos(wei: bigint): string {
  const frac = (wei % WEI).toString().padStart(18, '0').replace(/0+$/, '')
  return frac ? `${wei / WEI}.${frac}` : `${wei / WEI}`
}
