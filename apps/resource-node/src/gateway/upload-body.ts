// The body reader of the HTTP upload routes: exact length, idle timeout, and a minimum rate checked
// as bytes arrive.
import type { IncomingMessage } from 'node:http'
import { ProtocolTimeoutError } from '@stratos-edge/protocol'

/** How often a body's progress is checked against the minimum rate, ms (at most). */
const RATE_CHECK_MS = 5000

/**
 * Reads exactly `size` bytes of body into one buffer; rejects on a short or long body, one that stalls
 * for `idleTimeoutMs`, or one that fell behind `minBytesPerSecond` (after an `idleTimeoutMs` grace, checked
 * every few seconds): a client trickling a byte now and then would otherwise hold its share of the upload
 * memory until its whole body was due.
 */
export function readBody(
  req: IncomingMessage,
  size: number,
  idleTimeoutMs: number,
  minBytesPerSecond = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  // A client that gave up while this upload waited for the budget: its 'close' has already fired.
  if (req.destroyed || req.readableAborted) return Promise.reject(new Error('Client closed the upload'))
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(size)
    let at = 0
    const fail = (err: Error) => {
      cleanup()
      reject(err)
    }
    const onData = (chunk: Buffer) => {
      if (at + chunk.length > size) return fail(new Error('Body is longer than Content-Length'))
      chunk.copy(body, at)
      at += chunk.length
    }
    const onEnd = () => {
      cleanup()
      if (at === size) resolve(body)
      else reject(new Error(`Body ended after ${at} of ${size} bytes`))
    }
    const onAborted = () => fail(new Error('Client closed the upload'))
    const onTimeout = () =>
      fail(new ProtocolTimeoutError(`Upload body stalled for ${idleTimeoutMs} ms`, 'Upload it again'))
    // Checked as bytes arrive: by `elapsed` ms, at least (elapsed − grace) × the minimum rate came, so a
    // trickler is dropped within seconds, not at a deadline for its whole body.
    const started = Date.now()
    const progress = Number.isFinite(minBytesPerSecond)
      ? setInterval(
          () => {
            const elapsed = Date.now() - started
            if (at >= ((elapsed - idleTimeoutMs) * minBytesPerSecond) / 1000) return
            fail(
              new ProtocolTimeoutError(
                `Upload body too slow: ${at} of ${size} bytes in ${elapsed} ms, under ${minBytesPerSecond} B/s`,
                'Upload it again over a faster link, or in smaller slices',
              ),
            )
          },
          Math.max(100, Math.min(RATE_CHECK_MS, idleTimeoutMs / 2)),
        )
      : undefined
    const cleanup = () => {
      clearInterval(progress)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('close', onAborted)
      req.setTimeout(0)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('close', onAborted)
    req.setTimeout(idleTimeoutMs, onTimeout)
  })
}
