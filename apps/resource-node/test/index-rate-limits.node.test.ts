import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  computeSliceHash,
  decodeTicket,
  encodeTicketRequest,
  privateKeySigner,
  type SliceHash,
  signTicketRequest,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, tempDir } from './helpers.js'

const NETWORK = 31337
/** The node's index limit in this test: 40 units at once, 1 a second after. */
const BURST = 40

/** Runs `times` requests one after another; counts those answered and those refused by the limit. */
async function flood(times: number, send: () => Promise<unknown>): Promise<{ ok: number; limited: Error[] }> {
  const out = { ok: 0, limited: [] as Error[] }
  for (let i = 0; i < times; i++) {
    try {
      await send()
      out.ok++
    } catch (err) {
      if ((err as Error).name !== 'RateLimitedError') throw err
      out.limited.push(err as Error)
    }
  }
  return out
}

describe('index requests are limited per peer, by what each costs', () => {
  let node: ResourceNode
  const clients: Libp2p[] = []
  const cleanups: Array<() => Promise<void>> = []
  let hashes: SliceHash[]

  /** An index client on a fresh peer (its own bucket). */
  const peer = async (): Promise<IndexClient> => {
    const c = await createClient()
    clients.push(c)
    return createIndexClient(c, multiaddr(node.readyInfo().wsMultiaddrs[0] as string))
  }

  beforeAll(async () => {
    const d = await tempDir('index-limits')
    cleanups.push(d.cleanup)
    node = await createResourceNode(
      {
        dataDir: d.dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: { index: { requests: { perSecond: 1, burst: BURST } } },
        tickets: { network: NETWORK, freeOzone: 2n * 1024n * 1024n },
      },
      { logger: quietLogger },
    )
    await node.start()
    const file = await makeFile(16 * 1024, 16 * 1024)
    hashes = Array.from({ length: 1000 }, (_, i) =>
      computeSliceHash(i + 1, Uint8Array.of(i & 0xff), file.manifest.fileHash),
    )
  })

  afterAll(async () => {
    for (const c of clients) await c.stop()
    await node?.stop()
    for (const c of cleanups) await c()
  })

  it('a flood of lookups is refused with the wait, while another peer is still answered', async () => {
    const stranger = await peer()
    const one = hashes.slice(0, 1)
    const { ok, limited } = await flood(BURST + 20, () => stranger.lookup(one, { timeout: 5000 }))
    // The bucket refills 1 a second while the flood runs: a few more than the burst may pass.
    expect(ok).toBeGreaterThanOrEqual(BURST)
    expect(ok).toBeLessThan(BURST + 10)
    expect(limited.length).toBeGreaterThan(10)
    const wait = (limited[0] as Error & { retryAfterMs: number }).retryAfterMs
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(1000)
    const other = await peer()
    expect((await other.lookup(one, { timeout: 5000 })).size).toBe(1)
  })

  it('an announce of 1,000 hashes costs 16 lookups', async () => {
    const announcer = await peer()
    const announce = () =>
      announcer.announce(
        { kind: 'light', multiaddrs: [], freeBytes: 0, replace: false, hashes },
        { timeout: 5000 },
      )
    const { ok, limited } = await flood(3, announce)
    expect(ok).toBe(2)
    expect(limited).toHaveLength(1)
    // What is left of the burst (40 - 32) still pays for small lookups.
    expect((await flood(5, () => announcer.lookup(hashes.slice(0, 1), { timeout: 5000 }))).ok).toBe(5)
  })

  it("a flood of REQUEST_TICKET replays is limited and reserves the owner's ozone once", async () => {
    const request = encodeTicketRequest(
      await signTicketRequest({ network: NETWORK, bytes: 1024n * 1024n }, privateKeySigner(owner.privateKey)),
    )
    const replayer = await peer()
    const { ok, limited } = await flood(10, () => replayer.requestTicket(request, { timeout: 5000 }))
    expect(ok).toBe(BURST / 10)
    expect(limited.length).toBe(10 - BURST / 10)
    // The free tier holds two such tickets: the replays took one, so the owner's next upload still gets one.
    const fresh = encodeTicketRequest(
      await signTicketRequest({ network: NETWORK, bytes: 1024n * 1024n }, privateKeySigner(owner.privateKey)),
    )
    const ticket = decodeTicket(await (await peer()).requestTicket(fresh, { timeout: 5000 }))
    expect(ticket.bytesAllowed).toBe(1024n * 1024n)
  })
})
