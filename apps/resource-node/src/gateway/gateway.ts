import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  assertFileDigest,
  createKeccakStream,
  type FileHash,
  isErrorNamed,
  isFileHash,
  type Manifest,
  parseSdmUri,
  type SliceHash,
  sameAddress,
} from '@stratos-edge/core'
import {
  commitPathUploadId,
  MAX_MANIFEST_OWNERS,
  SLICE_UPLOAD_CORS_HEADERS,
  SLICE_UPLOAD_PATH,
  type SliceRecord,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { FileDigestStream } from '../store/hash-pool.js'
import { parseRange } from './range.js'
import type { SliceUploadRoute } from './slice-upload-route.js'

/** Options of {@link startGateway}. */
export interface GatewayInit {
  host: string
  port: number
  metrics: NodeMetrics
  logger: Logger
  /**
   * The signed manifest of a file (local, or from the meta service), or undefined; with `owner` (an
   * sdm:// URI's), the one that owner signed. `signal` stops a read no longer needed.
   */
  getManifest(fileHash: FileHash, owner?: string, signal?: AbortSignal): Promise<Manifest | undefined>
  /**
   * Owners who signed a manifest of the file (those held here, then others the meta service knows): a bare
   * file hash whose first manifest is known not to describe the file (or is encrypted, or names slices
   * nobody holds) is served by one of theirs.
   */
  manifestOwners?(fileHash: FileHash): readonly string[] | Promise<readonly string[]>
  /** A verified slice (local, or fetched from a provider), or undefined. */
  getSlice(hash: SliceHash, signal: AbortSignal): Promise<SliceRecord | undefined>
  /**
   * Whether every slice is here or can be fetched (a provider is known): a bare file hash whose first
   * manifest lists slices nobody holds (a stranger's, naming slices it never uploaded) is served by
   * another owner's whose slices are held. Without it, or when it throws, every manifest counts as held.
   */
  slicesAvailable?(hashes: readonly SliceHash[]): Promise<boolean>
  /** Body of `/healthz`. */
  health(): Record<string, unknown>
  /** Handler of `POST /v1/slices` (uploads); without it the gateway is read-only. */
  sliceUpload?: SliceUploadRoute
  /**
   * Starts a whole-file Keccak-256 for the checks of files asked for by bare hash; default on this
   * thread. The resource node hands in its hash pool's, so those checks do not block requests.
   */
  fileDigest?: () => FileDigestStream
  /** A reader that takes no bytes for this long is dropped, ms (default 30 000). */
  writeTimeoutMs?: number
}

/** A whole-file Keccak-256 on this thread (used when no hash pool is given). */
function fileDigestHere(): FileDigestStream {
  const keccak = createKeccakStream()
  return {
    update: async (bytes) => (await keccak).update(bytes),
    digest: async () => (await keccak).digest(),
    cancel() {},
  }
}

/** A running gateway. */
export interface Gateway {
  readonly url: string
  readonly server: Server
  close(): Promise<void>
}

const FILES_PREFIX = '/v1/files/'
/** Files (by manifest) whose bytes were checked against their file hash, most recent last. */
const VERIFIED_FILES_KEPT = 4096
/**
 * Usable other owners' manifests a bare file hash may fall back to (each may need a whole check); ones
 * nothing could use (encrypted, known not to match) are skipped without counting, among the first
 * MAX_MANIFEST_OWNERS (16) other owners read, as many as the index protocol lists.
 */
const BARE_HASH_CANDIDATES = 8
/** Other owners' manifests read at once for a bare file hash. */
const OWNER_READS_AHEAD = 4
/** Unversioned alias (`<gateway url>/files/<file hash>`). */
const FILES_ALIAS = '/files/'

/**
 * Resolves true on 'drain', false on 'close' or when `timeoutMs` passed first (the reader stalled),
 * removing its listeners; false at once when the response is gone already.
 */
function drained(res: ServerResponse, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // 'close' fired already: waiting for it would hold this request (and its slices) forever.
    if (res.destroyed || res.closed) return resolve(false)
    const done = (ok: boolean) => (): void => {
      clearTimeout(timer)
      res.off('drain', onDrain)
      res.off('close', onClose)
      resolve(ok)
    }
    const onDrain = done(true)
    const onClose = done(false)
    const timer = setTimeout(done(false), timeoutMs)
    res.on('drain', onDrain)
    res.on('close', onClose)
  })
}

/**
 * Whether an If-None-Match header names this file's ETag: `*`, a list, and weak validators (`W/"…"`)
 * all count, compared weakly as RFC 9110 §13.1.2 asks.
 */
export function etagMatches(header: string | undefined, fileHash: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${fileHash}"`)
}

function target(rawPath: string): { fileHash: FileHash; owner?: string } | undefined {
  let rest = rawPath.slice(rawPath.startsWith(FILES_PREFIX) ? FILES_PREFIX.length : FILES_ALIAS.length)
  try {
    rest = decodeURIComponent(rest)
  } catch {
    return undefined
  }
  if (rest.startsWith('sdm:')) {
    // Proxies may collapse "//": accept sdm:/owner/hash too.
    const uri = rest.startsWith('sdm://') ? rest : rest.replace(/^sdm:\/?/, 'sdm://')
    try {
      const { owner, fileHash } = parseSdmUri(uri)
      return { fileHash, owner }
    } catch {
      return undefined
    }
  }
  return isFileHash(rest) ? { fileHash: rest } : undefined
}

/**
 * Starts the HTTP gateway: `GET|HEAD /v1/files/<file hash>` and `/v1/files/sdm://<owner>/<file hash>`
 * (also without the `/v1` prefix)
 * stream the file, slice by slice, each verified, with Content-Type (from the manifest),
 * Content-Length, and single-range `Range` support (206/416); `/healthz`; `/metrics` (Prometheus);
 * `POST /v1/slices` slice uploads and `POST /v1/uploads/<id>/commit` when `sliceUpload` is given.
 *
 * @example
 * ```ts
 * const gw = await startGateway({ host: '127.0.0.1', port: 0, metrics, logger, getManifest, getSlice, health })
 * console.log(gw.url)
 * ```
 */
export async function startGateway(init: GatewayInit): Promise<Gateway> {
  const { metrics, logger } = init
  const fileDigest = init.fileDigest ?? fileDigestHere
  const writeTimeoutMs = init.writeTimeoutMs ?? 30_000

  const finish = (
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ): void => {
    metrics.gatewayRequests.inc({ status: String(status) })
    // Errors carry CORS too: a page's fetch() then sees the 404 instead of "Failed to fetch".
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'access-control-allow-origin': '*',
    })
    res.end(body)
  }

  /** Starts loading slice `i` (0-based) of a file; undefined past its end. Safe to read ahead and drop. */
  const loadSlice = (
    manifest: Manifest,
    i: number,
    signal: AbortSignal,
  ): Promise<SliceRecord | undefined> => {
    const entry = manifest.slices[i]
    if (!entry) return Promise.resolve(undefined)
    const p = init.getSlice(entry.hash, signal)
    p.catch(() => {}) // a slice read ahead and never awaited must not fail unhandled
    return p
  }

  /**
   * The manifest to serve a bare file hash by: the first one held, unless nothing could check it
   * (encrypted), it is known not to match, or its slices are not all held anywhere; then another owner's,
   * one checked already first, then one whose slices are held. So each stranger's manifest that lists
   * the wrong bytes costs at most one failed read of the file, and encrypted ones or ones naming slices
   * nobody holds cost none.
   */
  async function bareHashManifest(fileHash: FileHash): Promise<Manifest | undefined> {
    const usable = (m: Manifest): boolean => m.encryption === undefined && !mismatched.has(checkKey(m))
    // A file checked as a whole had its slices; otherwise ask (a lookup only for slices not held here).
    const held = async (m: Manifest): Promise<boolean> =>
      verified.has(checkKey(m)) ||
      !init.slicesAvailable ||
      (await init.slicesAvailable(m.slices.map((s) => s.hash)).catch(() => true))
    const first = await init.getManifest(fileHash)
    if (!first || verified.has(checkKey(first))) return first
    // Another owner's checked as a whole before is served without asking about the first (or for owners).
    const checkedOwner = verifiedOwners.get(fileHash)
    if (checkedOwner !== undefined && !sameAddress(checkedOwner, first.owner)) {
      const m = await init.getManifest(fileHash, checkedOwner)
      if (m && sameAddress(checkedOwner, m.owner) && verified.has(checkKey(m))) return m
      verifiedOwners.delete(fileHash) // forgotten since, or replaced
    }
    // Read at most as many owners as the index protocol lists: anyone can store a manifest.
    const others = ((await init.manifestOwners?.(fileHash)) ?? [])
      .filter((o) => !sameAddress(o, first.owner))
      .slice(0, MAX_MANIFEST_OWNERS)
    // Alone, it is served whatever it is (and checked as a whole): nothing to ask about.
    if (others.length === 0) return first
    if (usable(first) && (await held(first))) return first
    // A few read ahead, taken in the index's order: one after another, a meta service that answers slowly
    // would cost a wait per owner (on a node without --meta each read is a call with its own timeout);
    // all at once, busy requests would use up the index streams. Reads left when one is chosen stop.
    const stop = new AbortController()
    const reads: Promise<Manifest | undefined>[] = []
    const readAhead = (upTo: number) => {
      for (let k = reads.length; k < Math.min(others.length, upTo); k++) {
        const read = init.getManifest(fileHash, others[k] as string, stop.signal)
        read.catch(() => {}) // one not awaited (an earlier one chosen) must not fail unhandled
        reads.push(read)
      }
    }
    try {
      let fallback: Manifest | undefined
      let tried = 0
      for (const [i, owner] of others.entries()) {
        if (tried >= BARE_HASH_CANDIDATES) break
        readAhead(i + OWNER_READS_AHEAD)
        const m = await reads[i]
        if (!m || !sameAddress(owner, m.owner)) continue
        if (verified.has(checkKey(m))) return m
        if (!usable(m)) continue
        tried++
        fallback ??= m
        if (await held(m)) return m // the first usable one whose slices are held
      }
      // None held everywhere: the first if anything could use it, as before slices were asked after.
      return usable(first) ? first : (fallback ?? first)
    } finally {
      stop.abort()
    }
  }

  async function serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    attempt = 0,
  ): Promise<void> {
    const t = target(path)
    if (!t) return finish(res, 400, 'Expected /v1/files/<file hash> or /v1/files/sdm://<owner>/<file hash>\n')
    const manifest = t.owner
      ? await init.getManifest(t.fileHash, t.owner)
      : await bareHashManifest(t.fileHash)
    if (!manifest || (t.owner !== undefined && !sameAddress(t.owner, manifest.owner))) {
      return finish(res, 404, `File ${t.fileHash} is not known here\n`)
    }
    // A manifest asked for by bare file hash vouches for nothing (anyone can sign one naming any file
    // hash; its slices verify against it alone): its bytes are checked against the file hash before a
    // client may take them for the file. An sdm:// URI's owner vouches for theirs.
    const vouched = t.owner !== undefined || verified.has(checkKey(manifest))
    if (!vouched && manifest.encryption !== undefined) {
      // Its file hash is not of the bytes served, so nothing could check them.
      return finish(res, 404, `${t.fileHash} is an encrypted file: ask for it by its owner's sdm:// URI\n`)
    }
    if (!vouched && mismatched.has(checkKey(manifest))) return notTheFile(res, t.fileHash)
    const size = manifest.size
    // If-Range with another validator (or a date: ours is not one) asks for the whole file, not a part.
    const ifRange = req.headers['if-range']
    const rangeHeader =
      ifRange === undefined || ifRange === `"${manifest.fileHash}"` ? req.headers.range : undefined
    const range = parseRange(rangeHeader, size)
    const headers: Record<string, string | number> = {
      'content-type': manifest.mimeType || 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${manifest.fileHash}"`,
      'cache-control': 'public, max-age=31536000, immutable',
      'access-control-allow-origin': '*',
      // Anyone's upload is served from this origin: never sniffed into another type, never run as a page.
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
      'access-control-expose-headers': 'content-length, content-range, accept-ranges, etag',
    }
    if (manifest.name)
      headers['content-disposition'] = `inline; filename*=UTF-8''${encodeURIComponent(manifest.name)}`
    if (etagMatches(req.headers['if-none-match'], manifest.fileHash)) {
      metrics.gatewayRequests.inc({ status: '304' })
      res.writeHead(304, headers)
      res.end()
      return
    }
    if (range === 'unsatisfiable') {
      metrics.gatewayRequests.inc({ status: '416' })
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 })
      res.end()
      return
    }
    // A part of a file (or an empty file) goes out only from a file checked as a whole before; the whole
    // file, asked for with or without a range (a video player's first request is \`bytes=0-\`), is checked
    // as it streams.
    const wholeFile = size > 0 && (!range || (range.start === 0 && range.end === size - 1))
    if (!vouched && req.method !== 'HEAD' && !wholeFile) {
      const whole = await checkedWhole(manifest)
      if (whole === undefined) return finish(res, 503, `Slices of ${t.fileHash} are unavailable right now\n`)
      // Known not to match now: another owner's manifest may describe the file.
      if (!whole && attempt < BARE_HASH_CANDIDATES) return serveFile(req, res, path, attempt + 1)
      if (!whole) return notTheFile(res, t.fileHash)
    }
    const start = range?.start ?? 0
    const end = range?.end ?? size - 1
    const length = size === 0 ? 0 : end - start + 1
    const status = range ? 206 : 200
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`
    headers['content-length'] = length
    metrics.gatewayRequests.inc({ status: String(status) })
    res.writeHead(status, headers)
    if (req.method === 'HEAD' || length === 0) {
      res.end()
      return
    }
    const abort = new AbortController()
    res.on('close', () => abort.abort())
    const sliceSize = manifest.sliceSize
    const first = Math.floor(start / sliceSize)
    const last = Math.floor(end / sliceSize)
    const load = (i: number) => loadSlice(manifest, i, abort.signal)
    // A whole file is checked as it streams (hashed while each slice is sent); its last bytes wait for
    // the verdict.
    const digester = !vouched && wholeFile ? fileDigest() : undefined
    let hashed: Promise<void> = Promise.resolve()
    try {
      let next = load(first)
      for (let i = first; i <= last; i++) {
        const slice = await next
        // The client went away while the slice loaded: stop here, fetching nothing more.
        if (abort.signal.aborted || res.destroyed) return
        if (i < last) next = load(i + 1) // read ahead one slice while this one is sent
        if (!slice) {
          logger.warn('gateway: slice unavailable, truncating response', {
            fileHash: manifest.fileHash,
            slice: i + 1,
          })
          res.destroy()
          return
        }
        const sliceStart = i * sliceSize
        const from = Math.max(start, sliceStart) - sliceStart
        const to = Math.min(end + 1, sliceStart + slice.data.length) - sliceStart
        const chunk = slice.data.subarray(from, to)
        if (digester) {
          await hashed // at most one slice waits to be hashed
          hashed = digester.update(chunk)
          hashed.catch(() => {}) // seen by the verdict
          if (
            i === last &&
            !(await verdict(
              hashed.then(() => digester.digest()),
              manifest,
            ))
          ) {
            res.destroy() // short of its Content-Length: the client sees an incomplete response
            return
          }
        }
        metrics.gatewayBytes.inc(chunk.length)
        if (!res.write(chunk) && !(await drained(res, writeTimeoutMs))) {
          // A reader that takes nothing for the write timeout holds a socket and its buffers: dropped.
          if (!res.destroyed) {
            metrics.gatewayStalledReaders.inc()
            logger.debug('gateway: dropping a reader that stalled', { fileHash: manifest.fileHash })
            res.destroy()
          }
          return
        }
      }
      if (digester) remember(manifest)
      res.end()
    } finally {
      digester?.cancel()
    }
  }

  /** Manifests (of bare file hashes) whose files were checked against the hash: passed, or not. */
  const verified = new Set<string>()
  const mismatched = new Set<string>()
  /** Whole-file checks under way, one per manifest however many requests wait for it. */
  const checking = new Map<string, Promise<boolean | undefined>>()
  const checkKey = (m: Manifest): string => `${m.fileHash} ${m.owner} ${m.createdAt}`
  const keep = (set: Set<string>, key: string): void => {
    set.add(key)
    if (set.size > VERIFIED_FILES_KEPT) set.delete(set.values().next().value as string)
  }
  /** The owner of a bare file hash's manifest checked as a whole last, by file hash (as many kept). */
  const verifiedOwners = new Map<string, string>()
  const remember = (m: Manifest): void => {
    keep(verified, checkKey(m))
    verifiedOwners.delete(m.fileHash)
    verifiedOwners.set(m.fileHash, m.owner)
    if (verifiedOwners.size > VERIFIED_FILES_KEPT)
      verifiedOwners.delete(verifiedOwners.keys().next().value as string)
  }
  const notTheFile = (res: ServerResponse, fileHash: string): void =>
    finish(res, 502, `The manifest held for ${fileHash} does not describe that file\n`)
  /**
   * Whether a file's digest gives its file hash; undefined when it could not be hashed (a hash worker
   * failed): no verdict on the file, so nothing is remembered.
   */
  const verdict = async (digest: Promise<Uint8Array>, manifest: Manifest): Promise<boolean | undefined> => {
    let fileDigest: Uint8Array
    try {
      fileDigest = await digest
    } catch (error) {
      logger.warn('gateway: could not hash a file to check it', { fileHash: manifest.fileHash, error })
      return undefined
    }
    try {
      assertFileDigest(manifest.fileHash, fileDigest)
      return true
    } catch (error) {
      keep(mismatched, checkKey(manifest))
      logger.warn('gateway: a manifest does not describe its file', {
        fileHash: manifest.fileHash,
        owner: manifest.owner,
        error,
      })
      return false
    }
  }
  /** Whether the whole file matches its hash (read once, shared); undefined when slices are unavailable. */
  function checkedWhole(manifest: Manifest): Promise<boolean | undefined> {
    const key = checkKey(manifest)
    if (verified.has(key)) return Promise.resolve(true)
    if (mismatched.has(key)) return Promise.resolve(false)
    let running = checking.get(key)
    if (!running) {
      running = readAndCheck(manifest)
        .catch(() => undefined)
        .finally(() => checking.delete(key))
      checking.set(key, running)
    }
    return running
  }
  async function readAndCheck(manifest: Manifest): Promise<boolean | undefined> {
    const digester = fileDigest()
    const signal = AbortSignal.timeout(10 * 60_000)
    const load = (i: number) => loadSlice(manifest, i, signal)
    try {
      let next = load(0)
      for (let i = 0; i < manifest.slices.length; i++) {
        const slice = await next
        if (!slice) return undefined
        if (i + 1 < manifest.slices.length) next = load(i + 1) // read the next slice while this one hashes
        await digester.update(slice.data)
      }
      const ok = await verdict(digester.digest(), manifest)
      if (ok) remember(manifest)
      return ok
    } finally {
      digester.cancel()
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string
    const handle = async (): Promise<void> => {
      if (req.method === 'OPTIONS') {
        metrics.gatewayRequests.inc({ status: '204' })
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': init.sliceUpload
            ? 'GET, HEAD, POST, OPTIONS'
            : 'GET, HEAD, OPTIONS',
          'access-control-allow-headers': [
            'range',
            'if-none-match',
            ...(init.sliceUpload ? SLICE_UPLOAD_CORS_HEADERS : []),
          ].join(', '),
          'access-control-max-age': '86400',
        })
        res.end()
        return
      }
      if (req.method === 'POST' && init.sliceUpload) {
        if (path === SLICE_UPLOAD_PATH) return init.sliceUpload.upload(req, res)
        const uploadId = commitPathUploadId(path)
        if (uploadId) return init.sliceUpload.commit(req, res, uploadId)
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return finish(res, 405, 'Method not allowed\n')
      if (path === '/healthz')
        return finish(res, 200, `${JSON.stringify(init.health())}\n`, 'application/json')
      if (path === '/metrics') {
        const body = await metrics.registry.metrics()
        return finish(res, 200, body, metrics.registry.contentType)
      }
      if (path.startsWith(FILES_PREFIX) || path.startsWith(FILES_ALIAS)) return serveFile(req, res, path)
      return finish(res, 404, 'Not found\n')
    }
    handle().catch((err) => {
      logger.error('gateway request failed', { path, error: err })
      if (!res.headersSent) finish(res, isErrorNamed(err, 'AbortedError') ? 499 : 500, 'Internal error\n')
      else res.destroy()
    })
  })
  server.listen(init.port, init.host)
  await once(server, 'listening')
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`
  return {
    url,
    server,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
