import type { Libp2p } from '@libp2p/interface'
import { bytesEqual, hashSlice } from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createMemorySliceStore,
  dataFramePrefix,
  decodeErrorMessage,
  encodeFrame,
  encodePushHeader,
  FrameReader,
  fetchSlice,
  MAX_SLICE_FRAME_BYTES,
  openSlicePush,
  pushSlice,
  registerSliceProtocols,
  SLICE_FETCH_PROTOCOL,
  SLICE_PUSH_PROTOCOL,
  type SliceFetchInterruptedError,
  type SliceStore,
  WireErrorCode,
} from '../src/index.js'
import { createTestNode, makeFile } from './helpers.js'

describe('slice protocols between two real libp2p nodes (TCP, noise, yamux)', () => {
  let server: Libp2p
  let client: Libp2p
  let other: Libp2p
  let store: ReturnType<typeof createMemorySliceStore>
  const errors: string[] = []
  const stored: string[] = []

  beforeAll(async () => {
    server = await createTestNode()
    client = await createTestNode()
    other = await createTestNode()
    store = createMemorySliceStore({ maxBytes: 64 * 1024 * 1024 })
    await registerSliceProtocols(server, {
      store,
      onStreamError: (e) => errors.push(e.name),
      onSliceStored: (s) => stored.push(s.hash),
    })
  })

  afterAll(async () => {
    await Promise.all([server?.stop(), client?.stop(), other?.stop()])
  })

  it('pushes slices pipelined on one stream and fetches them back verified', async () => {
    const { slices } = makeFile(3 * 1024 * 1024 + 123, 1024 * 1024)
    const session = await openSlicePush(client, server.getMultiaddrs(), { window: 3 })
    await Promise.all(slices.map((s) => session.push(s)))
    await session.close()
    for (const s of slices) {
      expect(await store.has(s.hash)).toBe(true)
      const got = await fetchSlice(client, server.peerId, s.hash)
      expect(got.number).toBe(s.number)
      expect(got.fileHash).toBe(s.fileHash)
      expect(bytesEqual(got.data, s.data)).toBe(true)
    }
    expect(stored).toEqual(expect.arrayContaining(slices.map((s) => s.hash)))
  })

  it('resumes a fetch from a partial prefix', async () => {
    const { slices } = makeFile(700 * 1024, 1024 * 1024)
    const s = slices[0]!
    await pushSlice(client, server.peerId, s)
    const partial = s.data.slice(0, 300 * 1024 + 7)
    const progress: number[] = []
    const got = await fetchSlice(client, server.peerId, s.hash, {
      partial,
      onProgress: (r) => progress.push(r),
    })
    expect(bytesEqual(got.data, s.data)).toBe(true)
    expect(progress[0]).toBeGreaterThan(partial.length)
    expect(progress.at(-1)).toBe(s.data.length)
  })

  it('a missing slice is SliceNotFoundError', async () => {
    const { slices } = makeFile(20_000, 20_000)
    await expect(fetchSlice(client, server.peerId, slices[0]!.hash)).rejects.toMatchObject({
      name: 'SliceNotFoundError',
    })
  })

  it('a wrong hash is rejected with SliceHashMismatchError, not stored, while another client keeps pushing', async () => {
    const bad = makeFile(200_000, 100_000).slices
    const good = makeFile(200_000, 100_000).slices
    const corrupt = { ...bad[0]!, data: bad[0]!.data.slice() }
    corrupt.data[5] = (corrupt.data[5]! + 1) & 0xff
    const badPush = pushSlice(client, server.peerId, corrupt)
    const goodPush = (async () => {
      const session = await openSlicePush(other, server.getMultiaddrs())
      for (const s of good) await session.push(s)
      await session.close()
    })()
    await expect(badPush).rejects.toMatchObject({ name: 'SliceHashMismatchError' })
    await goodPush
    expect(await store.has(corrupt.hash)).toBe(false)
    for (const s of good) expect(await store.has(s.hash)).toBe(true)
    expect(errors).toContain('SliceHashMismatchError')
    // the server still serves the client whose push was rejected
    const again = await fetchSlice(client, server.peerId, good[0]!.hash)
    expect(bytesEqual(again.data, good[0]!.data)).toBe(true)
  })

  it('an oversized frame gets a TOO_LARGE error and the stream is closed', async () => {
    const stream = await client.dialProtocol(server.peerId, SLICE_PUSH_PROTOCOL)
    const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
    // declare a 100 MiB frame: rejected from the length prefix alone
    stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x32, 1, 2, 3))
    const body = await reader.next()
    expect(body?.[0]).toBe(0x7f)
    expect(decodeErrorMessage(body!).name).toBe('FrameTooLargeError')
    // then the stream is closed (reset): nothing more arrives
    await expect(reader.next()).rejects.toMatchObject({ name: 'UnexpectedEndOfStreamError' })
    expect(stream.status).not.toBe('open')
    expect(MAX_SLICE_FRAME_BYTES).toBeLessThan(100 * 1024 * 1024)
    expect(errors).toContain('FrameTooLargeError')
  })

  it('a malformed header gets a MALFORMED error (DecodeError)', async () => {
    const stream = await client.dialProtocol(server.peerId, SLICE_PUSH_PROTOCOL)
    const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
    stream.send(encodeFrame(Uint8Array.of(0x11, 0xff, 0xff)))
    const body = await reader.next()
    const err = decodeErrorMessage(body!)
    expect(err.name).toBe('DecodeError')
    expect(body![1]).toBe(WireErrorCode.MALFORMED)
  })

  it('more data than the header announced is rejected', async () => {
    const { slices } = makeFile(1000, 1000)
    const s = slices[0]!
    const stream = await client.dialProtocol(server.peerId, SLICE_PUSH_PROTOCOL)
    const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
    const header = encodePushHeader({ hash: s.hash, fileHash: s.fileHash, number: 1, size: 10, forward: [] })
    stream.send(encodeFrame(header))
    stream.send(dataFramePrefix(s.data.length))
    stream.send(s.data)
    const err = decodeErrorMessage((await reader.next())!)
    expect(err.name).toBe('DecodeError')
    expect(await store.has(s.hash)).toBe(false)
  })

  it('a fetch with a garbage request closes only that stream', async () => {
    const stream = await client.dialProtocol(server.peerId, SLICE_FETCH_PROTOCOL)
    const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
    stream.send(encodeFrame(Uint8Array.of(0x01, 3, 1, 2, 3, 0)))
    expect(decodeErrorMessage((await reader.next())!).name).toBe('DecodeError')
    const { slices } = makeFile(5000, 5000)
    await pushSlice(client, server.peerId, slices[0]!)
    expect(bytesEqual((await fetchSlice(client, server.peerId, slices[0]!.hash)).data, slices[0]!.data)).toBe(
      true,
    )
  })

  it('a full store answers StoreFullError', async () => {
    const small = await createTestNode()
    const tiny: SliceStore = createMemorySliceStore({ maxBytes: 150_000 })
    await registerSliceProtocols(small, { store: tiny })
    try {
      const { slices } = makeFile(200_000, 100_000)
      await pushSlice(client, small.getMultiaddrs(), slices[0]!)
      await expect(pushSlice(client, small.getMultiaddrs(), slices[1]!)).rejects.toMatchObject({
        name: 'StoreFullError',
      })
    } finally {
      await small.stop()
    }
  })

  it('an interrupted fetch reports its partial bytes and can be resumed elsewhere', async () => {
    const { slices } = makeFile(2 * 1024 * 1024, 2 * 1024 * 1024)
    const s = slices[0]!
    await pushSlice(client, server.peerId, s)
    const controller = new AbortController()
    let err: SliceFetchInterruptedError | undefined
    try {
      await fetchSlice(client, server.peerId, s.hash, {
        signal: controller.signal,
        onProgress: (r) => {
          if (r >= 512 * 1024) controller.abort()
        },
      })
    } catch (e) {
      err = e as SliceFetchInterruptedError
    }
    expect(err?.name).toBe('SliceFetchInterruptedError')
    expect(err!.partial.length).toBeGreaterThanOrEqual(512 * 1024)
    expect(bytesEqual(err!.partial, s.data.subarray(0, err!.partial.length))).toBe(true)
    const got = await fetchSlice(client, server.peerId, s.hash, { partial: err!.partial })
    expect(bytesEqual(got.data, s.data)).toBe(true)
  })

  it('a tight receive budget makes concurrent pushes wait instead of failing, and hashing can be deferred', async () => {
    const tight = await createTestNode()
    const tstore = createMemorySliceStore()
    let hashed = 0
    await registerSliceProtocols(tight, {
      store: tstore,
      maxBufferedBytes: 250_000,
      hashSlice: async (n, data, fh) => {
        hashed++
        return hashSlice(n, data, fh)
      },
    })
    try {
      const a = makeFile(600_000, 200_000).slices
      const b = makeFile(600_000, 200_000).slices
      const corrupt = { ...b[2]!, data: b[2]!.data.slice() }
      corrupt.data[0] = (corrupt.data[0]! + 1) & 0xff
      const pushAllOn = async (node: Libp2p, list: typeof a) => {
        const session = await openSlicePush(node, tight.getMultiaddrs(), { window: 3 })
        await Promise.all(list.map((s) => session.push(s)))
        await session.close()
      }
      await Promise.all([pushAllOn(client, a), pushAllOn(other, b.slice(0, 2))])
      for (const s of [...a, ...b.slice(0, 2)]) expect(await tstore.has(s.hash)).toBe(true)
      expect(hashed).toBe(5)
      await expect(pushSlice(client, tight.getMultiaddrs(), corrupt)).rejects.toMatchObject({
        name: 'SliceHashMismatchError',
      })
      expect(await tstore.has(corrupt.hash)).toBe(false)
    } finally {
      await tight.stop()
    }
  })

  it('the idle timeout does not close a client that is waiting for acks from a slow store', async () => {
    const slow = await createTestNode()
    const mem = createMemorySliceStore()
    const slowStore: SliceStore = {
      ...mem,
      put: async (slice, options) => {
        await new Promise((r) => setTimeout(r, 800))
        return mem.put(slice, options)
      },
    }
    await registerSliceProtocols(slow, { store: slowStore, timeout: 300 })
    try {
      const { slices } = makeFile(90_000, 30_000)
      const session = await openSlicePush(client, slow.getMultiaddrs(), { window: 1 })
      for (const s of slices) await session.push(s)
      await session.close()
      for (const s of slices) expect(await mem.has(s.hash)).toBe(true)
      // but a client that goes quiet with nothing owed to it is closed
      const quiet = await client.dialProtocol(slow.getMultiaddrs(), SLICE_PUSH_PROTOCOL)
      const reader = new FrameReader(quiet, { maxFrameBytes: 64 * 1024 })
      expect(decodeErrorMessage((await reader.next())!).name).toBe('ProtocolTimeoutError')
    } finally {
      await slow.stop()
    }
  })
})
