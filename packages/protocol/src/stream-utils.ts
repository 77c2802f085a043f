import type { Stream } from '@libp2p/interface'
import { encodeFrame } from './framing/frame-writer.js'
import { encodeErrorMessage } from './wire-errors.js'

/** Combines an optional caller signal with a timeout. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const t = AbortSignal.timeout(timeoutMs)
  return signal ? AbortSignal.any([signal, t]) : t
}

/**
 * Tells the remote why its stream is being closed (an ERROR frame), closes our end once the frame is
 * flushed (at most a second), then resets the stream so a misbehaving peer cannot keep sending.
 */
export async function closeWithError(stream: Stream, err: unknown): Promise<void> {
  try {
    if (stream.writeStatus === 'writable') {
      stream.send(encodeFrame(encodeErrorMessage(err)))
      await stream.close({ signal: AbortSignal.timeout(1000) })
    }
  } catch {
    // fall through to abort
  }
  if (stream.status === 'open') stream.abort(err instanceof Error ? err : new Error(String(err)))
}

/** Closes our writing end, aborting when the remote does not cooperate within `timeoutMs`. */
export async function closeGracefully(stream: Stream, timeoutMs = 5000): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    if (stream.status === 'open') stream.abort(err as Error)
  }
}
