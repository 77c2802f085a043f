// `npm start`'s Proof of Traffic set-up (scripts/start/traffic.mjs) on real anvils, and the built CLI it
// feeds: local committee keys in the data directory, a TrafficRewards of their own (2 of 3, the local
// epoch length), its pool funded, and a meta node that reads its clock from that contract.
import { readFileSync, statSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { type LocalChains, startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { createIndexClient } from '@stratos-edge/protocol'
import { Contract, JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script without types
import { setUpTraffic } from '../../../scripts/start/traffic.mjs'
import { spawnResourceNode } from '../src/index.js'
import { createClient, tempDir } from './helpers.js'

describe('npm start: Proof of Traffic set-up', () => {
  let chains: LocalChains
  let dir: string
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('start-traffic'))
    chains = await startLocalChains({ autoRelay: true })
  }, 120_000)
  afterAll(async () => {
    await chains?.stop()
    await cleanup?.()
  })

  it('deploys a 2-of-3 TrafficRewards for local keys once, and the meta node posts to it', async () => {
    process.env.STRATOS_EDGE_EPOCH_SECONDS = '30'
    const first = await setUpTraffic({ chains, dataDir: dir })
    const again = await setUpTraffic({ chains, dataDir: dir })
    delete process.env.STRATOS_EDGE_EPOCH_SECONDS
    expect(again.args).toEqual(first.args)
    const flag = (name: string) => first.args[first.args.indexOf(name) + 1] as string
    const keyFile = flag('--committee-key-file')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const keys = readFileSync(keyFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('0x'))
    expect(keys).toHaveLength(3)
    const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, { staticNetwork: true })
    const rewards = new Contract(
      flag('--traffic-rewards'),
      [
        'function committee() view returns (address[])',
        'function threshold() view returns (uint256)',
        'function epochDuration() view returns (uint64)',
      ],
      pol,
    )
    expect(await rewards.committee?.()).toEqual(keys.map((k) => new Wallet(k).address))
    expect(await rewards.threshold?.()).toBe(2n)
    expect(await rewards.epochDuration?.()).toBe(30n)
    pol.destroy()

    const node = await spawnResourceNode({
      args: [
        'start',
        ...['--meta', '--data-dir', `${dir}/node`, '--tcp-port', '0', '--ws-port', '0', '--http-port', '0'],
        ...['--network', String(chains.polygon.chainId), '--free-ozone', '1g'],
        ...first.args,
      ],
      timeoutMs: 60_000,
    })
    const peer = await createClient()
    try {
      const status = await createIndexClient(
        peer,
        multiaddr(node.ready.wsMultiaddrs[0] as string),
      ).trafficStatus()
      expect(status).toMatchObject({ network: chains.polygon.chainId, epochMs: 30_000, lateWindowMs: 6_000 })
      expect(status.trafficRewards?.toLowerCase()).toBe(flag('--traffic-rewards').toLowerCase())
      const metrics = await (await fetch(`${node.ready.gatewayUrl}/metrics`)).text()
      expect(metrics).toMatch(/stratos_meta_epoch_length_seconds 30/)
    } finally {
      await peer.stop()
      await node.stop()
    }
  }, 180_000)
})
