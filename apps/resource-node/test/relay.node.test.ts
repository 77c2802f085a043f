import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import {
  createIndexClient,
  createIndexHandler,
  decodeErrorMessage,
  encodeFrame,
  encodePushHeader,
  FrameReader,
  fetchSlice,
  INDEX_PROTOCOL,
  openSlicePush,
  SLICE_PUSH_PROTOCOL,
} from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, quietLogger, sameBytes, tempDir } from './helpers.js'

/** A browser-like node: WebSockets to the resource node, reachable only through its relay. */
async function createRelayedPeer(): Promise<Libp2p> {
  return (await import('libp2p')).createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
}

describe('resource node as a circuit relay and under abuse', () => {
  let node: ResourceNode
  let a: Libp2p
  let b: Libp2p
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    const t = await tempDir('relay')
    cleanup = t.cleanup
    node = await createResourceNode(
      { dataDir: t.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0, streamTimeoutMs: 3000 },
      { logger: quietLogger },
    )
    await node.start()
    a = await createRelayedPeer()
    b = await createRelayedPeer()
  })

  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await node?.stop()
    await cleanup?.()
  })

  it('grants a reservation and relays a stream between two browser-like peers', async () => {
    // peer A answers index lookups (what a light node does for the slices it holds)
    await a.handle(
      INDEX_PROTOCOL,
      createIndexHandler({
        backend: {
          lookup: (hashes) =>
            new Map(
              hashes.map((h) => [
                h,
                [{ peerId: a.peerId.toString(), multiaddrs: [], kind: 'light' as const }],
              ]),
            ),
        },
      }),
      { runOnLimitedConnection: true },
    )
    await a.dial(multiaddr(node.readyInfo().wsMultiaddrs[0]!))
    const deadline = Date.now() + 20_000
    while (!a.getMultiaddrs().some((m) => m.toString().includes('/p2p-circuit'))) {
      if (Date.now() > deadline) throw new Error('no relay reservation')
      await new Promise((r) => setTimeout(r, 100))
    }
    const circuit = a.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit'))!
    expect(circuit.toString()).toContain(node.peerId.toString())
    const { slices } = await makeFile(1000, 16_384)
    const found = await createIndexClient(b, circuit).lookup([slices[0]!.hash])
    expect(found.get(slices[0]!.hash)?.[0]?.peerId).toBe(a.peerId.toString())
  })

  it('an oversized frame closes only the offending stream; the node keeps serving', async () => {
    const file = await makeFile(300_000, 300_000)
    const ws = multiaddr(node.readyInfo().wsMultiaddrs[0]!)
    await node.store.put(file.slices[0]!)
    const stream = await b.dialProtocol(ws, SLICE_PUSH_PROTOCOL)
    const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
    stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x40)) // 128 MiB declared
    expect(decodeErrorMessage((await reader.next())!).name).toBe('FrameTooLargeError')
    // garbage on another stream of the same connection
    const s2 = await b.dialProtocol(ws, SLICE_PUSH_PROTOCOL)
    const r2 = new FrameReader(s2, { maxFrameBytes: 64 * 1024 })
    s2.send(encodeFrame(Uint8Array.of(0x11, 0x01)))
    expect(decodeErrorMessage((await r2.next())!).name).toBe('DecodeError')
    // the same peer, over the same connection, is still served
    const got = await fetchSlice(b, ws, file.slices[0]!.hash)
    expect(sameBytes(got.data, file.slices[0]!.data)).toBe(true)
    const text = await (await fetch(`${node.gatewayUrl}/metrics`)).text()
    expect(text).toMatch(
      /stratos_edge_stream_errors_total\{protocol="\/stratos-edge\/slice-push\/1.0.0",error="FrameTooLargeError"\} 1/,
    )
    expect(text).toMatch(
      /stratos_edge_stream_errors_total\{protocol="\/stratos-edge\/slice-push\/1.0.0",error="DecodeError"\} 1/,
    )
  })

  it('a stalled push is closed with ProtocolTimeoutError while many honest clients keep uploading', async () => {
    const ws = multiaddr(node.readyInfo().wsMultiaddrs[0]!)
    const victim = await makeFile(200_000, 200_000)
    const s = victim.slices[0]!
    // header, then silence
    const stalled = await b.dialProtocol(ws, SLICE_PUSH_PROTOCOL)
    const stalledReader = new FrameReader(stalled, { maxFrameBytes: 64 * 1024 })
    stalled.send(
      encodeFrame(
        encodePushHeader({ hash: s.hash, fileHash: s.fileHash, number: 1, size: s.data.length, forward: [] }),
      ),
    )
    const started = Date.now()
    const honest = await Promise.all(Array.from({ length: 8 }, () => makeFile(3 * 150_000, 150_000)))
    const clients = await Promise.all(honest.map(() => createClient()))
    try {
      await Promise.all(
        honest.map(async (f, i) => {
          const session = await openSlicePush(clients[i]!, ws, { window: 2 })
          await Promise.all(f.slices.map((x) => session.push(x)))
          await session.close()
        }),
      )
      const err = decodeErrorMessage((await stalledReader.next({ signal: AbortSignal.timeout(15_000) }))!)
      expect(err.name).toBe('ProtocolTimeoutError')
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500)
      for (const f of honest) for (const x of f.slices) expect(await node.store.has(x.hash)).toBe(true)
      expect(await node.store.has(s.hash)).toBe(false)
    } finally {
      await Promise.all(clients.map((c) => c.stop()))
    }
  })
})
