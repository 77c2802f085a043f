// A resource node as a provider that earns, over real libp2p and HTTP: its gateway counts what it
// serves to an anonymous reader, self-reports the closed epoch over SUBMIT_SELF_REPORT (0x33) to a meta
// service (a real settlement behind the index protocol), and shows the epoch, its self-report and its
// settled reward in /v1/status/traffic and /metrics.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { formatSdmUri, toHex } from '@stratos-edge/core'
import { type IndexBackend, registerIndexProtocol } from '@stratos-edge/protocol'
import { createLibp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { loadOrCreateNodeEvmKey } from '../src/node/traffic-key.js'
import { createSettlementRewardSource } from '../src/node/traffic-settlement-source.js'
import type { NodeTrafficStatus } from '../src/node/traffic-status.js'
import {
  createTrafficSettlement,
  openSqliteSettlementStore,
  submitEncodedSelfReport,
} from '../src/traffic/index.js'
import { makeFile, owner, quietLogger, tempDir, until } from './helpers.js'
import { startTempNode } from './support/temp-node.js'
import { MARKET, recordingCharger } from './traffic-fixtures.js'

const NETWORK = 31337

/**
 * Stores a file of `size` bytes on `node`, waits until the node knows the epoch clock (it learns it from
 * the meta service before it counts), then reads the file once through its gateway as an anonymous
 * reader. Returns the bytes read and a reader of the node's traffic status.
 */
async function serveFileOnce(node: ResourceNode, size: number) {
  const file = await makeFile(size, 16_384)
  for (const s of file.slices) await node.store.put(s)
  await node.store.putManifest(file.manifestBytes)
  const statusOf = async (): Promise<NodeTrafficStatus> =>
    (await fetch(`${node.gatewayUrl}/v1/status/traffic`)).json() as Promise<NodeTrafficStatus>
  await until(async () => (await statusOf()).currentEpoch !== undefined, 10_000)
  const uri = encodeURIComponent(formatSdmUri(owner.address, file.manifest.fileHash))
  const body = await (await fetch(`${node.gatewayUrl}/v1/files/${uri}`)).arrayBuffer()
  return { statusOf, bytesRead: body.byteLength }
}

describe('resource node traffic', () => {
  const stops: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const s of stops.reverse()) await s()
  })

  it('self-reports its gateway bytes per closed epoch and shows the settled reward', async () => {
    const { dir, cleanup } = await tempDir('traffic-node')
    stops.push(cleanup)
    const nodeKey = await loadOrCreateNodeEvmKey(`${dir}/node`)
    const epochMs = 2500
    const lateWindowMs = 1500
    const clock = { genesisMs: Date.now() - 100, epochMs }
    const store = openSqliteSettlementStore({ dataDir: `${dir}/meta` })
    stops.push(() => store.close())
    const settlement = createTrafficSettlement(
      { clock, lateWindowMs, issuers: [], network: NETWORK },
      {
        store,
        tickets: { get: async () => undefined },
        charger: recordingCharger(),
        market: async () => MARKET,
        selfReporters: (p) => p === nodeKey.evmAddress,
        selfReportCap: async () => 10n ** 12n,
        logger: quietLogger,
      },
    )
    const source = createSettlementRewardSource(
      { clock, lateWindowMs, network: NETWORK },
      { settlement, store },
    )
    const meta: Libp2p = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    stops.push(async () => {
      await meta.stop()
    })
    const backend = {
      announce: () => {},
      withdraw: () => {},
      lookup: async () => new Map(),
      trafficStatus: async (account?: string) => {
        const s = await source.trafficStatus(account ?? '0x0000000000000000000000000000000000000000')
        return { ...s, network: NETWORK, ...(account ? {} : { epochs: [] }) }
      },
      rewardProof: (epoch: number, account: string) => source.rewardProof(epoch, account),
      submitSelfReport: (bytes: Uint8Array) => submitEncodedSelfReport(settlement, bytes),
    } as unknown as IndexBackend
    await registerIndexProtocol(meta, { backend })
    await meta.start()
    // A libp2p node listening on TCP, so the resource node can dial it as its meta service.
    const metaAddr = meta.getMultiaddrs().find((a) => a.toString().includes('/tcp/'))

    const node: ResourceNode = await createResourceNode(
      {
        dataDir: `${dir}/node`,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        bootstrap: metaAddr ? [metaAddr.toString()] : [],
        providerTraffic: { intervalMs: 200 },
      },
      { logger: quietLogger },
    )
    await node.start()
    stops.push(() => node.stop())
    expect(node.readyInfo().trafficAccount).toBe(nodeKey.evmAddress)

    const { statusOf, bytesRead } = await serveFileOnce(node, 40_000)
    expect(bytesRead).toBe(40_000)
    const servedIn = (await statusOf()).epochs.find((e) => e.gatewayBytes === '40000')?.epoch
    expect(servedIn).toBeDefined()

    // The epoch closes: the node reports it, once; the meta service holds it.
    await until(
      async () => (await statusOf()).epochs.find((e) => e.epoch === servedIn)?.selfReport === 'accepted',
      15_000,
    )
    expect((await store.selfReports(servedIn as number)).map((e) => e.bytes)).toEqual([40_000n])
    const metrics = await (await fetch(`${node.gatewayUrl}/metrics`)).text()
    expect(metrics).toContain(`stratos_edge_traffic_bytes_served{epoch="${servedIn}",via="gateway"} 40000`)

    // Settled after the late window: the node sees its reward (pending: no root posted here).
    await until(async () => {
      await settlement.tick()
      return (await store.settlement(servedIn as number)) !== undefined
    }, 15_000)
    const reward = (await settlement.rewardProof(servedIn as number, nodeKey.evmAddress)).amount
    expect(reward > 0n).toBe(true)
    await until(async () => (await statusOf()).pending === reward.toString(), 10_000)
    const epoch = (await statusOf()).epochs.find((e) => e.epoch === servedIn)
    expect(epoch).toMatchObject({ state: 'settled', reward: reward.toString(), selfReport: 'accepted' })
    expect(await (await fetch(`${node.gatewayUrl}/metrics`)).text()).toContain(
      `stratos_edge_traffic_reward_wei{state="pending"} ${reward}`,
    )
  })
})

describe('resource node traffic with its own meta service', () => {
  it('self-reports to the meta service in its process, which holds the report', async () => {
    const { node, cleanup } = await startTempNode('traffic-node-meta', {
      meta: true,
      tickets: { network: NETWORK },
      traffic: { epochSeconds: 2, lateWindowSeconds: 1, verifierThreads: 0 },
      providerTraffic: { intervalMs: 200 },
    })
    try {
      const { statusOf, bytesRead } = await serveFileOnce(node, 20_000)
      expect(bytesRead).toBe(20_000)
      await until(async () => (await statusOf()).epochs.some((e) => e.selfReport === 'accepted'), 15_000)
      expect((await statusOf()).account).toBe(node.readyInfo().trafficAccount)
    } finally {
      await node.stop()
      await cleanup()
    }
  })

  it('still self-reports when its operator key cannot bind it (its own traffic key)', async () => {
    const { dir, cleanup } = await tempDir('traffic-node-own-operator')
    // The mistake the help text invites: --operator-key-file <data dir>/traffic.key.
    const operatorKey = toHex((await loadOrCreateNodeEvmKey(dir)).privateKey)
    const node = await createResourceNode(
      {
        dataDir: dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        meta: true,
        tickets: { network: NETWORK },
        traffic: { epochSeconds: 2, lateWindowSeconds: 1, verifierThreads: 0 },
        providerTraffic: { intervalMs: 200, operatorKey },
      },
      { logger: quietLogger },
    )
    try {
      await node.start()
      const { statusOf } = await serveFileOnce(node, 20_000)
      await until(async () => (await statusOf()).epochs.some((e) => e.selfReport === 'accepted'), 15_000)
    } finally {
      await node.stop()
      await cleanup()
    }
  })
})
