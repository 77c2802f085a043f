// REQUEST_DOWNLOAD_TICKET over real libp2p against a meta node in this process: a downloader asking
// again with fresh nonces gets its live ticket back (the owner's ozone is reserved once), and each peer
// may ask at a bounded rate: past it the request fails with RateLimitedError on the wire, while another
// peer is still served.
import type { Libp2p } from '@libp2p/interface'
import {
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeTicketRequest,
  generateKeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signTicketRequest,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createClient, makeFile, owner } from './helpers.js'
import { startTempNode } from './support/temp-node.js'

const NETWORK = 31337

describe('download tickets over libp2p', () => {
  const stops: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const s of stops.reverse()) await s()
  })

  it('hands a downloader its live ticket again and rate-limits each peer', async () => {
    const { node, cleanup } = await startTempNode('meta-download-tickets', {
      meta: true,
      tickets: { network: NETWORK, freeOzone: 10n ** 9n },
      traffic: { verifierThreads: 0, downloadTicketRate: { perSecond: 0.01, burst: 3 } },
    })
    stops.push(cleanup)
    stops.push(() => node.stop())
    const peers: Libp2p[] = [await createClient(), await createClient()]
    for (const p of peers) stops.push(async () => p.stop())
    const [a, b] = peers.map((p) =>
      createIndexClient(p, node.multiaddrs[0] as (typeof node.multiaddrs)[number]),
    ) as [IndexClient, IndexClient]

    const file = await makeFile(100_000, 65_536)
    const upload = await signTicketRequest(
      { network: NETWORK, bytes: 100_000n },
      privateKeySigner(owner.privateKey),
    )
    await b.putManifest(file.manifestBytes, { ticket: await b.requestTicket(encodeTicketRequest(upload)) })
    const ask = async (index: IndexClient, who: ReturnType<typeof generateKeyPair>) => {
      const request = await signDownloadTicketRequest(
        { network: NETWORK, fileHash: file.manifest.fileHash },
        privateKeySigner(who.privateKey),
      )
      return decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))
    }

    const downloader = generateKeyPair()
    const first = await ask(a, downloader)
    expect(first.holder).toBe(downloader.evmAddress)
    // Fresh nonces, same downloader and file: the same ticket.
    expect((await ask(a, downloader)).id).toBe(first.id)
    expect((await ask(a, downloader)).id).toBe(first.id)
    // Peer a has spent its burst of 3: refused on the wire, typed, with a wait.
    const refused = await ask(a, generateKeyPair()).catch((err: unknown) => err)
    expect(refused).toMatchObject({ name: 'RateLimitedError' })
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0)
    // Peer b is served; a new downloader gets a ticket of its own.
    const other = await ask(b, generateKeyPair())
    expect(other.id).not.toBe(first.id)
  })
})
