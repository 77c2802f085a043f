/**
 * The leader's heartbeat between tabs, with real BroadcastChannels (Node's) and a fake node in place of
 * the worker: a follower whose leader goes silent rejects its calls with LeaderLostError; a slow leader
 * that still beats is waited for.
 */
import { describe, expect, it } from 'vitest'
import type { LightNodeStat } from '../src/api-types.js'
import type { LightNode } from '../src/client/create-light-node.js'
import { connectTab } from '../src/client/tab-client.js'
import { serveTabs } from '../src/client/tab-server.js'

/** A node whose `stat` answers after `statMs` (never when undefined). */
function slowNode(statMs: number | undefined): LightNode {
  return {
    peerId: 'p',
    stat: () =>
      new Promise<LightNodeStat>((resolve) => {
        if (statMs !== undefined) setTimeout(() => resolve({ peerId: 'p' } as LightNodeStat), statMs)
      }),
    addEventListener() {},
    removeEventListener() {},
  } as unknown as LightNode
}

async function pair(node: LightNode, onLost?: (reason: Error) => void) {
  const channelName = `heartbeat-${crypto.randomUUID()}`
  const origin = new BroadcastChannel(channelName)
  const leader = crypto.randomUUID()
  const server = serveTabs(node, { channelName, leader, heartbeatMs: 100 })
  const client = await connectTab({ channelName, leader, peerId: 'p', leaderTimeoutMs: 500, onLost }, origin)
  return {
    server,
    client,
    close: async () => {
      await client.stop()
      server.close()
      origin.close()
    },
  }
}

describe('leader heartbeat', () => {
  it('waits for a slow leader that still beats', async () => {
    const { client, close } = await pair(slowNode(1200))
    await expect(client.stat()).resolves.toMatchObject({ peerId: 'p' })
    await close()
  })

  it("rejects a silent leader's calls with LeaderLostError and reports the loss", async () => {
    const lost: Error[] = []
    const { server, client, close } = await pair(slowNode(undefined), (e) => lost.push(e))
    const call = client.stat()
    call.catch(() => {})
    await new Promise((r) => setTimeout(r, 300))
    // The leader's page goes silent: no answer, no heartbeat (the follower is not told: it did not get a bye).
    const started = performance.now()
    server.close()
    await expect(call).rejects.toMatchObject({ name: 'LeaderLostError' })
    const took = performance.now() - started
    expect(took).toBeGreaterThan(350)
    expect(took).toBeLessThan(1500)
    expect(lost.map((e) => e.name)).toEqual(['LeaderLostError'])
    await expect(client.stat()).rejects.toMatchObject({ name: 'LeaderLostError' })
    await close()
  })
})
