/**
 * Providers against real libp2p nodes over WebSockets on 127.0.0.1: a dial shared by several callers,
 * each leaving on its own signal, and browsers that could not be reached, remembered for a while.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Connection, Libp2p } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NetworkIndex, ProviderInfo } from '../src/node/network-index.js'
import { createProviders } from '../src/node/providers.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

/** A TCP port that accepts connections and never answers: a dial to it stalls until its timeout. */
async function blackHole(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = []
  const server = createServer((s) => void sockets.push(s))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { server, port, sockets }
}

/** The dialer's libp2p, with the signal of every dial it was asked for recorded. */
function recording(libp2p: Libp2p) {
  const signals: AbortSignal[] = []
  return {
    signals,
    libp2p: {
      peerId: libp2p.peerId,
      getConnections: (...args: Parameters<Libp2p['getConnections']>) => libp2p.getConnections(...args),
      dial: ((addr, options) => {
        if (options?.signal) signals.push(options.signal)
        return libp2p.dial(addr, options)
      }) as Libp2p['dial'],
    },
  }
}

describe('providers (real libp2p)', () => {
  let server: Libp2p
  let client: Libp2p
  let hole: Awaited<ReturnType<typeof blackHole>>

  beforeAll(async () => {
    server = await createWsLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    client = await createWsLibp2p()
    hole = await blackHole()
  })

  afterAll(async () => {
    await client?.stop()
    await server?.stop()
    for (const s of hole?.sockets ?? []) s.destroy()
    hole?.server.close()
  })

  const resource = (): ProviderInfo => ({
    peerId: server.peerId.toString(),
    kind: 'resource',
    multiaddrs: server.getMultiaddrs().map((m) => m.toString()),
  })

  it("aborting one caller's wait does not abort another caller's shared dial", async () => {
    const { libp2p, signals } = recording(client)
    const providers = createProviders({}, { libp2p })
    const first = new AbortController()
    const second = new AbortController()
    const a = providers.connect(resource(), first.signal)
    const b = providers.connect(resource(), second.signal)
    first.abort(new Error('the first download was cancelled'))
    await expect(a).rejects.toThrow('the first download was cancelled')
    const conn = await b
    expect(conn.remotePeer.toString()).toBe(server.peerId.toString())
    // One dial for both callers, and it was not aborted.
    expect(signals).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(false)
    await conn.close()
  })

  it('stops a shared dial once every caller has left', async () => {
    const { libp2p, signals } = recording(client)
    const providers = createProviders({ resourceAttemptTimeoutMs: 30_000 }, { libp2p })
    const stalled: ProviderInfo = {
      peerId: server.peerId.toString(),
      kind: 'resource',
      multiaddrs: [`/ip4/127.0.0.1/tcp/${hole.port}/ws/p2p/${server.peerId.toString()}`],
    }
    const callers = [new AbortController(), new AbortController()]
    const waits = callers.map((c) => providers.connect(stalled, c.signal))
    for (const w of waits) w.catch(() => {})
    await new Promise((r) => setTimeout(r, 100))
    callers[0]?.abort(new Error('left'))
    await new Promise((r) => setTimeout(r, 50))
    expect(signals[0]?.aborted).toBe(false)
    callers[1]?.abort(new Error('left too'))
    await Promise.allSettled(waits)
    expect(signals[0]?.aborted).toBe(true)
  })

  it('a caller that comes after every caller left starts a new dial, not the aborted one', async () => {
    // Edge fake: libp2p whose first dial settles only 200 ms after it is aborted (teardown takes time).
    const dialed: AbortSignal[] = []
    const conn = { remotePeer: server.peerId, status: 'open' } as unknown as Connection
    const libp2p = {
      peerId: client.peerId,
      getConnections: () => [],
      dial: (async (_addr, options) => {
        const signal = options?.signal as AbortSignal
        dialed.push(signal)
        if (dialed.length > 1) return conn
        await new Promise((resolve) => signal.addEventListener('abort', resolve))
        await new Promise((resolve) => setTimeout(resolve, 200))
        throw signal.reason
      }) as Libp2p['dial'],
    }
    const providers = createProviders({}, { libp2p })
    const first = new AbortController()
    const a = providers.connect(resource(), first.signal)
    first.abort(new Error('the only caller left'))
    await expect(a).rejects.toThrow('the only caller left')
    expect(dialed[0]?.aborted).toBe(true)
    // The aborted dial has not settled yet: the next caller must not inherit its abort.
    await expect(providers.connect(resource(), new AbortController().signal)).resolves.toBe(conn)
    expect(dialed).toHaveLength(2)
  })

  it('closes only the connection that failed, and nothing once the caller aborted', async () => {
    const aborted: string[] = []
    const fake = (id: string) =>
      ({
        id,
        remotePeer: server.peerId,
        status: 'open',
        limits: undefined,
        remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1/ws' },
        abort() {
          aborted.push(id)
          ;(this as { status: string }).status = 'closed'
        },
      }) as unknown as Connection
    const failed = fake('failed')
    const other = fake('reservation')
    const libp2p = {
      peerId: client.peerId,
      getConnections: () => [failed, other].filter((c) => c.status === 'open'),
      dial: (() => Promise.reject(new Error('no dial expected'))) as Libp2p['dial'],
    }
    const providers = createProviders({}, { libp2p })
    const gone = new AbortController()
    gone.abort(new Error('download cancelled'))
    await expect(providers.connect(resource(), gone.signal, failed)).rejects.toThrow('download cancelled')
    expect(aborted).toEqual([])
    await expect(providers.connect(resource(), new AbortController().signal, failed)).resolves.toBe(other)
    expect(aborted).toEqual(['failed'])
  })

  it('remembers a browser whose dial failed and leaves it out of lookups until the time is up', async () => {
    let now = 1_000
    const peerId = server.peerId.toString()
    // A WebRTC address the client cannot dial (it has no WebRTC transport): the dial fails at once.
    const light: ProviderInfo = {
      peerId,
      kind: 'light',
      multiaddrs: [`/ip4/127.0.0.1/tcp/${hole.port}/ws/p2p/${peerId}/p2p-circuit/webrtc/p2p/${peerId}`],
    }
    const index = { lookup: async (hashes: readonly string[]) => new Map(hashes.map((h) => [h, [light]])) }
    const providers = createProviders(
      { unreachableForMs: 60_000 },
      { libp2p: client, index: index as unknown as NetworkIndex, now: () => now },
    )
    const signal = new AbortController().signal
    expect((await providers.lookup(['h'], signal)).get('h')).toEqual([light])
    await expect(providers.connect(light, signal)).rejects.toThrow()
    expect(providers.isUnreachable(peerId)).toBe(true)
    expect((await providers.lookup(['h'], signal)).get('h')).toEqual([])
    now += 60_001
    expect(providers.isUnreachable(peerId)).toBe(false)
    expect((await providers.lookup(['h'], signal)).get('h')).toEqual([light])
  })
})
