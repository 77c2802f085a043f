import type { ServerResponse } from 'node:http'

/**
 * Bytes of a response's socket handed to the kernel: what the reader took, give or take the socket
 * buffers. `bytesWritten` alone also counts bytes still queued in the process, so it stands still while
 * a writer waits for 'drain'.
 */
function flushedBytes(res: ServerResponse): number {
  const socket = res.socket
  if (!socket) return 0
  const queued = (socket as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0
  return socket.bytesWritten - socket.writableLength - queued
}

/**
 * Resolves `drained` on 'drain', `closed` on 'close' (at once when the response is gone already), or
 * `stalled` when no byte was flushed to the socket for `timeoutMs` (a slow reader that keeps taking
 * bytes is waited for), removing its listeners.
 *
 * @example
 * ```ts
 * const waited = res.write(chunk) ? 'drained' : await drained(res, 120_000)
 * ```
 */
export function drained(res: ServerResponse, timeoutMs: number): Promise<'drained' | 'closed' | 'stalled'> {
  return new Promise((resolve) => {
    // 'close' fired already: waiting for it would hold this request (and its slices) forever.
    if (res.destroyed || res.closed) return resolve('closed')
    let flushed = flushedBytes(res)
    let movedAt = Date.now()
    const done = (how: 'drained' | 'closed' | 'stalled') => (): void => {
      clearInterval(timer)
      res.off('drain', onDrain)
      res.off('close', onClose)
      resolve(how)
    }
    const onDrain = done('drained')
    const onClose = done('closed')
    const stalled = done('stalled')
    const timer = setInterval(
      () => {
        const now = flushedBytes(res)
        if (now !== flushed) {
          flushed = now
          movedAt = Date.now()
        } else if (Date.now() - movedAt >= timeoutMs) stalled()
      },
      Math.max(10, Math.min(1000, timeoutMs / 4)),
    )
    res.on('drain', onDrain)
    res.on('close', onClose)
  })
}
