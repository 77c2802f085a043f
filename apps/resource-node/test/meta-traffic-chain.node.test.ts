// Proof of Traffic through a real resource node's meta service, on real libp2p and a real anvil: a
// downloader gets a download ticket paid by the file's owner, a provider's receipts go in over the index
// protocol, the epoch settles and its root goes to TrafficRewards with 2 of 3 committee keys; the
// provider claims with the proof it is given, and its STOS balance rises by exactly what the status
// said. Forged, replayed, self-dealt and other-network receipts are refused and earn nothing.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeReceipt,
  encodeTicket,
  encodeTicketRequest,
  generateKeyPair,
  type KeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signReceipt,
  signTicketRequest,
  type Ticket,
} from '@stratos-edge/core'
import type { BridgeClient } from '@stratos-edge/polygon-bridge'
import { DEV_ROLES, type LocalChains } from '@stratos-edge/polygon-bridge/local'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, type TestFile, until } from './helpers.js'
import { type AnvilTrafficRewards, startAnvilTrafficRewards } from './support/anvil-traffic-rewards.js'
import { startTempNode } from './support/temp-node.js'

const NETWORK = 31337
const EPOCH_SECONDS = 4
const SLICE = 64 * 1024

describe('Proof of Traffic in the meta service, on anvil', () => {
  let anvil: AnvilTrafficRewards
  let chains: LocalChains
  let client: BridgeClient
  let node: ResourceNode
  let peer: Libp2p
  let index: IndexClient
  let file: TestFile
  const cleanups: (() => Promise<void>)[] = []

  beforeAll(async () => {
    anvil = await startAnvilTrafficRewards({ epochDuration: EPOCH_SECONDS })
    ;({ chains, client } = anvil)
    const d = await startTempNode('meta-traffic', {
      meta: true,
      tickets: { network: NETWORK, freeOzone: 1n << 30n },
      traffic: {
        lateWindowSeconds: 1,
        posting: {
          polygonRpc: chains.polygon.rpcUrl,
          trafficRewards: chains.addresses.polygon.trafficRewards!,
          committeeKeys: DEV_ROLES.committee.map((i) => chains.accounts[i]!.privateKey),
          threshold: DEV_ROLES.threshold,
        },
      },
    })
    cleanups.push(d.cleanup)
    node = d.node
    peer = await createClient()
    index = createIndexClient(peer, multiaddr(node.readyInfo().wsMultiaddrs[0] as string))
    // The owner uploads a manifest with its upload ticket.
    file = await makeFile(2 * SLICE, SLICE)
    const upload = await signTicketRequest(
      { network: NETWORK, bytes: BigInt(2 * SLICE) },
      privateKeySigner(owner.privateKey),
    )
    const uploadTicket = await index.requestTicket(encodeTicketRequest(upload))
    await index.putManifest(file.manifestBytes, { ticket: uploadTicket })
  }, 120_000)

  afterAll(async () => {
    await peer?.stop()
    await node?.stop()
    await anvil?.stop()
    for (const c of cleanups) await c()
  })

  it('tickets, receipts, settlement, root on chain, claim: the balance rises by exactly the reward', async () => {
    const clock = await index.trafficStatus()
    expect(clock).toMatchObject({ network: NETWORK, epochMs: EPOCH_SECONDS * 1000, epochs: [] })
    expect(clock.trafficRewards?.toLowerCase()).toBe(chains.addresses.polygon.trafficRewards!.toLowerCase())

    const downloader = generateKeyPair()
    const honest = generateKeyPair()
    const cheat = generateKeyPair()
    const request = await signDownloadTicketRequest(
      { network: NETWORK, fileHash: file.manifest.fileHash },
      privateKeySigner(downloader.privateKey),
    )
    const ticket: Ticket = decodeTicket(
      await index.requestDownloadTicket(encodeDownloadTicketRequest(request)),
    )
    expect(ticket).toMatchObject({
      kind: 'download',
      owner: owner.evmAddress,
      holder: downloader.evmAddress,
      fileHash: file.manifest.fileHash,
      bytesAllowed: BigInt(2 * 2 * SLICE),
    })
    // A replayed request gets the same ticket.
    const again = decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))
    expect(encodeTicket(again)).toEqual(encodeTicket(ticket))

    // Wait for the start of an epoch, so the receipts' epoch stays open while they are submitted.
    const now = () => Date.now()
    const epochOf = (t: number) => Math.floor((t - clock.genesisMs) / clock.epochMs)
    const next = (epochOf(now()) + 1) * clock.epochMs + clock.genesisMs
    await new Promise((r) => setTimeout(r, next - now() + 50))
    const epoch = epochOf(now())
    const sliceHash = computeSliceHash(1, new Uint8Array([1]), file.manifest.fileHash)
    const receipt = (by: KeyPair, to: KeyPair, bytes: number, nonce: bigint, network = NETWORK) =>
      encodeReceipt(
        signReceipt(
          {
            network,
            epoch,
            provider: to.evmAddress,
            fileHash: file.manifest.fileHash,
            sliceHash,
            bytes,
            ticketId: ticket.id,
            nonce,
          },
          by,
        ),
      )
    const first = receipt(downloader, honest, 40_000, 1n)
    const latest = receipt(downloader, honest, 100_000, 2n)
    const forged = receipt(cheat, honest, 200_000, 3n) // not signed by the ticket's holder
    const reused = receipt(downloader, cheat, 100_000, 2n) // nonce 2 again, for another provider
    const selfDealt = receipt(downloader, downloader, 50_000, 4n)
    const otherNetwork = receipt(downloader, honest, 120_000, 5n, NETWORK + 1)
    const result = await index.submitReceipts([first, latest, forged, reused, selfDealt, otherNetwork])
    expect(result.rejected).toEqual([
      { index: 2, reason: 'not-ticket-holder' },
      { index: 3, reason: 'replayed' },
      { index: 4, reason: 'self-dealing' },
      { index: 5, reason: 'wrong-network' },
    ])
    // The first is then stale: the latest cumulative receipt replaced it.
    expect(result.accepted).toBe(2)
    const open = await index.trafficStatus(honest.evmAddress)
    expect(open.epochs).toEqual([
      { epoch, bytes: 100_000, receipts: 1, reward: '0', settled: false, rootPosted: false, claimed: false },
    ])

    // The epoch ends, its late window closes, the meta service settles it and posts its root.
    let status = open
    await until(async () => {
      status = await index.trafficStatus(honest.evmAddress)
      return status.epochs[0]?.rootPosted === true
    }, 60_000)
    const reward = BigInt(status.epochs[0]!.reward)
    expect(reward).toBeGreaterThan(0n)
    expect(status.claimable).toBe(reward.toString())
    const proof = await index.rewardProof(epoch, honest.evmAddress)
    expect(proof).toMatchObject({ epoch, account: honest.evmAddress, amount: reward.toString() })
    const onChain = await client.epochRoot(epoch)
    expect(onChain?.total).toBeGreaterThanOrEqual(reward)

    const before = await client.stosBalance('polygon', honest.evmAddress)
    await client.claimReward({ epoch, account: honest.evmAddress, amount: reward, proof: proof.proof })
    expect((await client.stosBalance('polygon', honest.evmAddress)) - before).toBe(reward)
    const after = await index.trafficStatus(honest.evmAddress)
    expect(after.epochs[0]).toMatchObject({ epoch, claimed: true })
    expect(after).toMatchObject({ claimed: reward.toString(), claimable: '0', pending: '0' })
    // The same state as JSON on the gateway, for operators and pages.
    const http = await fetch(`${node.gatewayUrl}/v1/meta/traffic?account=${honest.evmAddress}`)
    expect(http.headers.get('content-type')).toBe('application/json')
    expect(await http.json()).toEqual(after)
    expect((await fetch(`${node.gatewayUrl}/v1/meta/traffic?account=0x12`)).status).toBe(400)
    // The cheats earned nothing: no proof, no STOS.
    for (const who of [cheat, downloader]) {
      await expect(index.rewardProof(epoch, who.evmAddress)).rejects.toMatchObject({ name: 'NoRewardError' })
      expect(await client.stosBalance('polygon', who.evmAddress)).toBe(0n)
    }
    // The meta service's counters saw it all.
    const metrics = await node.metrics.registry.metrics()
    expect(metrics).toMatch(/stratos_meta_epoch_settled_total [1-9]/)
    expect(metrics).toMatch(/stratos_meta_epoch_receipts_rejected_total\{reason="self-dealing"\} 1/)
    expect(metrics).toMatch(/stratos_meta_epoch_roots_posted_total [1-9]/)
  }, 120_000)
})
