/**
 * A push that fails halfway gives its bytes back to the ticket: the uploader sends the slice again with
 * the same exact-sized ticket, and the whole file still fits. Slices whose writes were under way when the
 * stream failed stay charged: a failed stream is no way to store for free.
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@stratos-edge/core'
import {
  dataFramePrefix,
  encodeFrame,
  encodePushHeader,
  pushSlice,
  SLICE_PUSH_PROTOCOL,
} from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, ownerUploadTicket, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const SLICE = 256 * 1024
const SLICES = 4

describe('a push that fails halfway', () => {
  const issuer = generateKeyPair()
  let node: ResourceNode
  let client: Libp2p
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    const d = await tempDir('push-failed')
    cleanup = d.cleanup
    node = await createResourceNode(
      {
        dataDir: d.dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets: { network: NETWORK, issuers: [issuer.evmAddress] },
      },
      { logger: quietLogger },
    )
    await node.start()
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    await node?.stop()
    await cleanup?.()
  })

  it('costs its ticket nothing: every slice is then pushed with the exact-sized ticket', async () => {
    const file = await makeFile(SLICES * SLICE, SLICE)
    const ticket = ownerUploadTicket(issuer, NETWORK, SLICES * SLICE) // exactly the file, as issued
    const to = multiaddr(node.readyInfo().multiaddrs[0] as string)
    const errors = async () => (await node.metrics.streamErrors.get()).values.length
    // Half of slice 1, then the stream is cut.
    const first = file.slices[0] as (typeof file.slices)[number]
    const s = await client.dialProtocol(to, SLICE_PUSH_PROTOCOL)
    const { hash, fileHash, number, data } = first
    s.send(encodeFrame(encodePushHeader({ hash, fileHash, number, size: data.length, forward: [], ticket })))
    s.send(dataFramePrefix(SLICE / 2))
    s.send(data.subarray(0, SLICE / 2))
    await new Promise((r) => setTimeout(r, 200))
    s.abort(new Error('uploader gone'))
    await until(async () => (await errors()) > 0, 10_000)
    await new Promise((r) => setTimeout(r, 100)) // the refund checks the store first
    for (const slice of file.slices) await pushSlice(client, to, slice, { ticket })
    const held = await Promise.all(file.slices.map((sl) => node.store.has(sl.hash)))
    expect(held.filter(Boolean)).toHaveLength(SLICES)
  })

  it('keeps charging the slices a failed stream stored: never more stored than the ticket pays', async () => {
    const file = await makeFile(2 * SLICES * SLICE, SLICE)
    const ticket = ownerUploadTicket(issuer, NETWORK, SLICES * SLICE) // half the file
    const to = multiaddr(node.readyInfo().multiaddrs[0] as string)
    const errors = async () => (await node.metrics.streamErrors.get()).values.length
    const before = await errors()
    // Three whole slices pipelined, then a frame that is no header: the stream fails while their writes
    // may still be under way.
    const s = await client.dialProtocol(to, SLICE_PUSH_PROTOCOL)
    for (const { hash, fileHash, number, data } of file.slices.slice(0, 3)) {
      s.send(
        encodeFrame(encodePushHeader({ hash, fileHash, number, size: data.length, forward: [], ticket })),
      )
      s.send(dataFramePrefix(data.length))
      s.send(data)
    }
    s.send(encodeFrame(new Uint8Array([0xee, 1, 2, 3])))
    await until(async () => (await errors()) > before, 10_000)
    await new Promise((r) => setTimeout(r, 300))
    // Then every slice, one by one: only what the ticket still pays for may land.
    for (const slice of file.slices) await pushSlice(client, to, slice, { ticket }).catch(() => {})
    const held = await Promise.all(file.slices.map((sl) => node.store.has(sl.hash)))
    expect(held.filter(Boolean)).toHaveLength(SLICES)
  })
})
