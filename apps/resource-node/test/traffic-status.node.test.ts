// The node's own traffic, visible: GET /v1/status/traffic (JSON) and /metrics lines, over real HTTP,
// from the gateway's counter, the receipts held and the claimer's view of the rewards.
import { afterEach, describe, expect, it } from 'vitest'
import { createServedTraffic } from '../src/gateway/served-traffic.js'
import type { Gateway } from '../src/index.js'
import { registerTrafficMetrics } from '../src/node/metrics.js'
import type { TrafficStatusView } from '../src/node/traffic-claimer.js'
import { createNodeTrafficStatus } from '../src/node/traffic-status.js'
import { makeFile } from './helpers.js'
import { startCountingGateway } from './support/counting-gateway.js'
import { idleNodeMetrics } from './support/idle-node-metrics.js'

describe('traffic status', () => {
  let gw: Gateway | undefined
  afterEach(async () => {
    await gw?.close()
    gw = undefined
  })

  it('reports per-epoch bytes, receipts held and rewards in JSON and in /metrics', async () => {
    const file = await makeFile(5000, 16_384)
    const clock = { now: 30_500 }
    const served = createServedTraffic({ clock: { genesisMs: 0, epochMs: 10_000 }, now: () => clock.now })
    const metrics = idleNodeMetrics()
    // Epoch 1: settled, posted and claimed; epoch 2: settled, posted, not claimed; epoch 3: open.
    const view: TrafficStatusView = {
      genesisMs: 0,
      epochMs: 10_000,
      currentEpoch: 3,
      lateWindowMs: 2000,
      epochs: [
        {
          epoch: 1,
          bytes: '900',
          receipts: 2,
          reward: '111',
          settled: true,
          rootPosted: true,
          claimed: false,
        },
        { epoch: 2, bytes: '50', receipts: 1, reward: '22', settled: true, rootPosted: true, claimed: false },
      ],
      pending: '0',
      claimable: '133',
      claimed: '0',
    }
    const traffic = createNodeTrafficStatus({
      account: '0x00000000000000000000000000000000000000aa',
      network: 31337,
      served,
      receipts: async () => [
        { receipt: { epoch: 1, bytes: 600 }, state: 'submitted' },
        { receipt: { epoch: 1, bytes: 300 }, state: 'submitted' },
        { receipt: { epoch: 3, bytes: 70 }, state: 'pending' },
      ],
      selfReports: () => new Map([[2, 'accepted' as const]]),
      rewards: () => view,
      claims: () => [{ epoch: 1, amount: 111n, txHash: '0xabc' }],
    })
    registerTrafficMetrics(metrics, traffic)
    gw = await startCountingGateway(file, {
      metrics,
      served,
      trafficStatus: () => traffic.status(),
    })
    await (await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)).arrayBuffer()

    const status = await (await fetch(`${gw.url}/v1/status/traffic`)).json()
    expect(status).toEqual({
      account: '0x00000000000000000000000000000000000000aa',
      network: 31337,
      currentEpoch: 3,
      epochMs: 10_000,
      receiptsHeld: 3,
      pending: '0',
      claimable: '22',
      claimed: '111',
      epochs: [
        {
          epoch: 1,
          libp2pBytes: '900',
          receipts: 2,
          gatewayBytes: '0',
          selfReport: 'none',
          reward: '111',
          state: 'claimed',
        },
        {
          epoch: 2,
          libp2pBytes: '0',
          receipts: 0,
          gatewayBytes: '0',
          selfReport: 'accepted',
          reward: '22',
          state: 'claimable',
        },
        {
          epoch: 3,
          libp2pBytes: '70',
          receipts: 1,
          gatewayBytes: '5000',
          selfReport: 'pending',
          reward: '0',
          state: 'open',
        },
      ],
    })
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    expect(text).toContain('stratos_edge_traffic_bytes_served{epoch="3",via="gateway"} 5000')
    expect(text).toContain('stratos_edge_traffic_bytes_served{epoch="1",via="libp2p"} 900')
    expect(text).toContain('stratos_edge_traffic_receipts_held{epoch="1"} 2')
    expect(text).toContain('stratos_edge_traffic_receipts_held_total 3')
    expect(text).toContain('stratos_edge_traffic_reward_wei{state="claimable"} 22')
    expect(text).toContain('stratos_edge_traffic_reward_wei{state="claimed"} 111')
    expect(text).toContain('stratos_edge_traffic_reward_wei{state="pending"} 0')
  })
})
