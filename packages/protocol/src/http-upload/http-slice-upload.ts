/**
 * Slice upload over plain HTTP: `POST <node>/v1/slices`, one whole slice as the body, what it is in
 * headers. Browsers upload this way because their TLS (in production) and HTTP stacks are native code:
 * a libp2p stream from a worker runs noise encryption in JavaScript and reaches about a third of the
 * link's speed (see DESIGN.md). The contract is the push protocol's: the node verifies the slice hash
 * before it writes, answers only once the slice is durably stored, and copies it on to `forward`.
 *
 * One URL for every slice, with the slice's identity in headers, so a browser sends one CORS preflight
 * per node (cached) instead of one per slice.
 */
import {
  AbortedError,
  DecodeError,
  type FileHash,
  InsufficientOzoneError,
  InvalidArgumentError,
  isErrorNamed,
  isFileHash,
  isSliceHash,
  type SliceHash,
} from '@stratos-edge/core'
import { HttpUploadError, ProtocolTimeoutError, RateLimitedError } from '../errors.js'
import { MAX_FORWARD_TARGETS, MAX_MULTIADDRS } from '../protocol-ids.js'
import type { PeerAddress } from '../slices/slice-messages.js'
import { uploadBodyLength } from './upload-body-length.js'
import { type SliceUploadErrorBody, UPLOAD_ERROR_CLASSES } from './upload-errors.js'

export {
  type SliceUploadErrorBody,
  sliceUploadErrorBody,
  sliceUploadStatusOf,
} from './upload-errors.js'

/** The upload endpoint's path. */
export const SLICE_UPLOAD_PATH = '/v1/slices'

/** Request headers of a slice upload (lower case, as Node reports them). */
export const SliceUploadHeader = {
  SLICE: 'x-stratos-slice',
  FILE: 'x-stratos-file',
  NUMBER: 'x-stratos-slice-number',
  /** JSON `[{ "peerId": "…", "multiaddrs": ["…"] }]`: nodes to copy the slice on to. */
  FORWARD: 'x-stratos-forward',
  /** A staged upload's id (see `staged-upload.ts`), sent instead of the slice and file hashes. */
  UPLOAD: 'x-stratos-upload',
  /** The upload ticket (core's `encodeTicket`, as `0x` hex) that pays for the bytes. */
  TICKET: 'x-stratos-ticket',
} as const

/** Every header a browser sends on an upload, for `Access-Control-Allow-Headers`. */
export const SLICE_UPLOAD_CORS_HEADERS = ['content-type', ...Object.values(SliceUploadHeader)]

/** Largest `x-stratos-forward` value; Node refuses requests whose headers pass 16 KiB in total. */
export const MAX_FORWARD_HEADER_BYTES = 8 * 1024

/** What a slice upload says about its body. */
export interface SliceUploadRequest {
  hash: SliceHash
  fileHash: FileHash
  number: number
  /** Body length in bytes (Content-Length). */
  size: number
  forward: PeerAddress[]
}

/** The JSON body of a successful upload. */
export interface SliceUploadReceipt {
  hash: SliceHash
  /** `new`: written now; `existing`: the node already held it. */
  stored: 'new' | 'existing'
  /** The storing node's libp2p peer id. */
  peerId: string
}

/** Headers of an upload of `slice`, forwarding to `forward` (trimmed to fit the header limit). */
export function sliceUploadHeaders(
  slice: { hash: SliceHash | string; fileHash: FileHash | string; number: number },
  forward: readonly PeerAddress[] = [],
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    [SliceUploadHeader.SLICE]: slice.hash,
    [SliceUploadHeader.FILE]: slice.fileHash,
    [SliceUploadHeader.NUMBER]: String(slice.number),
  }
  if (forward.length > 0) {
    const list = forward.slice(0, MAX_FORWARD_TARGETS).map((p) => ({
      peerId: p.peerId,
      multiaddrs: p.multiaddrs.slice(0, 4),
    }))
    let text = JSON.stringify(list)
    while (text.length > MAX_FORWARD_HEADER_BYTES && list.length > 1) {
      list.pop()
      text = JSON.stringify(list)
    }
    if (text.length > MAX_FORWARD_HEADER_BYTES) {
      throw new InvalidArgumentError('Forward list too long for a header', 'Pass fewer, shorter addresses')
    }
    headers[SliceUploadHeader.FORWARD] = text
  }
  return headers
}

function parseForward(text: string | undefined): PeerAddress[] {
  if (text === undefined || text === '') return []
  if (text.length > MAX_FORWARD_HEADER_BYTES) throw new DecodeError('x-stratos-forward is too long')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new DecodeError('x-stratos-forward is not JSON', 'Send [{"peerId":"…","multiaddrs":["…"]}]')
  }
  return parsePeerList(value)
}

/** Checks a parsed JSON list of forward targets (bounded); throws DecodeError. */
export function parsePeerList(value: unknown): PeerAddress[] {
  if (!Array.isArray(value) || value.length > MAX_FORWARD_TARGETS) {
    throw new DecodeError(`forward must be an array of at most ${MAX_FORWARD_TARGETS} peers`)
  }
  return value.map((p: unknown) => {
    const peer = p as { peerId?: unknown; multiaddrs?: unknown }
    if (
      typeof peer?.peerId !== 'string' ||
      peer.peerId.length === 0 ||
      peer.peerId.length > 128 ||
      !Array.isArray(peer.multiaddrs) ||
      peer.multiaddrs.length > MAX_MULTIADDRS ||
      !peer.multiaddrs.every((a: unknown) => typeof a === 'string' && a.startsWith('/') && a.length <= 512)
    ) {
      throw new DecodeError('forward has a malformed peer', 'Each peer needs peerId and multiaddrs')
    }
    return { peerId: peer.peerId, multiaddrs: peer.multiaddrs as string[] }
  })
}

/**
 * Reads and checks an upload's headers (`header(name)` returns a request header), before any of the body
 * is read. Throws `DecodeError` for a missing or malformed header (Content-Length included) and
 * `InvalidArgumentError` for a length over core's `MAX_SLICE_SIZE`.
 *
 * @example
 * ```ts
 * const request = parseSliceUploadHeaders((name) => req.headers[name] as string | undefined)
 * ```
 */
export function parseSliceUploadHeaders(header: (name: string) => string | undefined): SliceUploadRequest {
  const hash = header(SliceUploadHeader.SLICE)
  const fileHash = header(SliceUploadHeader.FILE)
  const number = Number(header(SliceUploadHeader.NUMBER))
  const length = header('content-length')
  if (!isSliceHash(hash)) throw new DecodeError(`${SliceUploadHeader.SLICE} is missing or not a slice hash`)
  if (!isFileHash(fileHash)) throw new DecodeError(`${SliceUploadHeader.FILE} is missing or not a file hash`)
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new DecodeError(`${SliceUploadHeader.NUMBER} must be an integer from 1`)
  }
  const size = uploadBodyLength(length)
  return { hash, fileHash, number, size, forward: parseForward(header(SliceUploadHeader.FORWARD)) }
}

/**
 * The request body for slice bytes. Chromium sends a Blob body about ten times faster than a typed-array
 * body (measured here: ~110–200 vs ~12 MB/s), and a slice of a File without copying it through the page,
 * so bytes are wrapped in a Blob where there is one.
 */
export function uploadBody(data: Uint8Array | Blob): BodyInit {
  if (typeof Blob === 'undefined' || data instanceof Blob) return data as BodyInit
  return new Blob([data as BlobPart])
}

/** Part of an upload's default timeout that does not depend on its size, ms: waiting for the node's memory. */
export const UPLOAD_TIMEOUT_BASE_MS = 30_000
/** Slowest body rate an upload's default timeout allows, bytes per second (the node's own default). */
export const UPLOAD_TIMEOUT_BYTES_PER_SECOND = 16 * 1024

/** The default timeout of a request with a body of `bytes`, ms (60 000 when its size is unknown). */
export function uploadTimeoutFor(bytes: number | undefined): number {
  if (bytes === undefined) return 60_000
  return UPLOAD_TIMEOUT_BASE_MS + Math.ceil((bytes * 1000) / UPLOAD_TIMEOUT_BYTES_PER_SECOND)
}

/** Options of {@link uploadSlice}. */
export interface UploadSliceOptions {
  /** Nodes the receiver copies the slice on to once stored. */
  forward?: readonly PeerAddress[]
  signal?: AbortSignal
  /**
   * Whole-request timeout, ms. Default: for a body of known size, {@link UPLOAD_TIMEOUT_BASE_MS} plus its
   * size at {@link UPLOAD_TIMEOUT_BYTES_PER_SECOND} (a 4 MiB slice: 286 s), so a slow uplink sending
   * several slices at once is not cut; else 60 000.
   */
  timeout?: number
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch
  /** The upload ticket that pays for the bytes (`0x` hex of core's `encodeTicket`). */
  ticket?: string
}

/** The ticket header of an upload, or none. */
export function ticketHeader(ticket: string | undefined): Record<string, string> {
  return ticket ? { [SliceUploadHeader.TICKET]: ticket } : {}
}

/**
 * Uploads one slice (its bytes, or a Blob holding them, such as a slice of a File) to a node's HTTP
 * endpoint and resolves once the node has verified and durably stored it. Errors are typed: `SliceHashMismatchError`, `StoreFullError`, `DecodeError`, `InvalidArgumentError`
 * (too large), `ProtocolTimeoutError`, `AbortedError`, else `HttpUploadError` with the status.
 *
 * @example
 * ```ts
 * const receipt = await uploadSlice('http://127.0.0.1:7480', slice, { forward: [replica] })
 * receipt.stored // 'new' | 'existing'
 * ```
 */
export async function uploadSlice(
  baseUrl: string,
  slice: { hash: SliceHash | string; fileHash: FileHash | string; number: number; data: Uint8Array | Blob },
  options: UploadSliceOptions = {},
): Promise<SliceUploadReceipt> {
  const url = `${baseUrl.replace(/\/$/, '')}${SLICE_UPLOAD_PATH}`
  const { status, body } = await httpUploadRequest(
    url,
    {
      headers: { ...sliceUploadHeaders(slice, options.forward), ...ticketHeader(options.ticket) },
      body: uploadBody(slice.data),
      bytes: slice.data instanceof Uint8Array ? slice.data.byteLength : slice.data.size,
    },
    options,
  )
  const receipt = body as SliceUploadReceipt | undefined
  if (receipt?.hash !== slice.hash || (receipt.stored !== 'new' && receipt.stored !== 'existing')) {
    throw new HttpUploadError(status, `Upload to ${url} got an unexpected answer`, 'Try another node')
  }
  return receipt
}

/** Most times one upload request is sent again after a 429 (each wait is the node's `Retry-After`). */
export const RATE_LIMIT_RETRIES = 8
/** Longest `Retry-After` waited for before giving up with RateLimitedError, ms. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000

/**
 * A `Retry-After` header's wait, ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); 1 s when it is
 * missing or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number {
  if (header === null || header === undefined || header.trim() === '') return 1000
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now)
}

/** Waits `ms`, or rejects with AbortedError when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortedError('Upload aborted', 'Start it again'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * POSTs to an upload endpoint and returns the parsed JSON answer of a 2xx; anything else becomes a typed
 * error (the name the node sent, else `HttpUploadError`), a network failure `HttpUploadError` (status 0),
 * the timeout `ProtocolTimeoutError` and the caller's abort `AbortedError`. A 429 (the node's rate limit)
 * is sent again after its `Retry-After`, at most {@link RATE_LIMIT_RETRIES} times, each attempt with its
 * own timeout; past that, or for a wait over {@link MAX_RATE_LIMIT_WAIT_MS}, `RateLimitedError`.
 */
export async function httpUploadRequest(
  url: string,
  request: { headers: Record<string, string>; body: BodyInit; bytes?: number },
  options: Pick<UploadSliceOptions, 'signal' | 'timeout' | 'fetch'>,
): Promise<{ status: number; body: unknown }> {
  // A stream body cannot be sent twice: it is not retried.
  const resendable = typeof ReadableStream === 'undefined' || !(request.body instanceof ReadableStream)
  for (let attempt = 0; ; attempt++) {
    try {
      return await httpUploadAttempt(url, request, options)
    } catch (err) {
      if (!isErrorNamed(err, 'RateLimitedError') || !resendable || attempt >= RATE_LIMIT_RETRIES) throw err
      const wait = (err as RateLimitedError).retryAfterMs
      if (wait > MAX_RATE_LIMIT_WAIT_MS) throw err
      await sleep(wait, options.signal)
    }
  }
}

/** One attempt of {@link httpUploadRequest}. */
async function httpUploadAttempt(
  url: string,
  request: { headers: Record<string, string>; body: BodyInit; bytes?: number },
  options: Pick<UploadSliceOptions, 'signal' | 'timeout' | 'fetch'>,
): Promise<{ status: number; body: unknown }> {
  const timeout = options.timeout ?? uploadTimeoutFor(request.bytes)
  const { bytes: _bytes, ...init } = request
  const timer = AbortSignal.timeout(timeout)
  const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer
  let res: Response
  try {
    res = await (options.fetch ?? fetch)(url, { method: 'POST', ...init, signal, cache: 'no-store' })
  } catch (err) {
    if (options.signal?.aborted) throw new AbortedError('Upload aborted', 'Start it again', { cause: err })
    if (timer.aborted) {
      throw new ProtocolTimeoutError(`Upload to ${url} took over ${timeout} ms`, 'Try another node', {
        cause: err,
      })
    }
    throw new HttpUploadError(0, `Upload to ${url} failed: ${(err as Error).message}`, 'Try another node', {
      cause: err,
    })
  }
  const text = await res.text().catch(() => '')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (res.ok) return { status: res.status, body }
  const error = (body as Partial<SliceUploadErrorBody> | undefined)?.error
  if (res.status === 429) {
    throw new RateLimitedError(
      `${url}: ${error?.message ?? 'rate limited'}`,
      retryAfterMs(res.headers.get('retry-after')),
    )
  }
  const Known =
    error && typeof error.name === 'string' && Object.hasOwn(UPLOAD_ERROR_CLASSES, error.name)
      ? UPLOAD_ERROR_CLASSES[error.name as keyof typeof UPLOAD_ERROR_CLASSES]
      : undefined
  if (Known && error) {
    if (error.name === 'InsufficientOzoneError') {
      const short = error.shortfallBytes
      throw new InsufficientOzoneError(`${url}: ${error.message}`, undefined, {
        ...(typeof error.owner === 'string' ? { owner: error.owner } : {}),
        ...(typeof short === 'string' && /^\d+$/.test(short) ? { shortfallBytes: BigInt(short) } : {}),
      })
    }
    throw new Known(`${url}: ${error.message}`)
  }
  throw new HttpUploadError(
    res.status,
    `Upload to ${url} failed with HTTP ${res.status}${error ? `: ${error.message}` : ''}`,
    'Try another node',
  )
}
