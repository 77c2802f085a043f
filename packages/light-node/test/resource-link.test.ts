import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { watchResourceNodes } from '../src/node/resource-link.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

const nodes: Libp2p[] = []

async function node(privateKey?: PrivateKey, listen: string[] = []): Promise<Libp2p> {
  const n = await createWsLibp2p({ ...(privateKey ? { privateKey } : {}), listen })
  nodes.push(n)
  return n
}

const until = async (check: () => boolean, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
})

describe('watchResourceNodes', () => {
  it('redials a resource node that went away and reports it restored once reachable', async () => {
    const key = await generateKeyPair('Ed25519')
    const first = await node(key, ['/ip4/127.0.0.1/tcp/0/ws'])
    const addr = first.getMultiaddrs()[0]?.toString() ?? ''
    const light = await node()
    await light.dial(multiaddr(addr))
    let reachable = false
    const restored: string[] = []
    const link = watchResourceNodes(light, {
      resourceNodes: [addr],
      reachable: () => reachable,
      onRestored: (id) => restored.push(id),
      minRetryMs: 50,
      maxRetryMs: 200,
    })
    // The resource node restarts: same identity, same address.
    await first.stop()
    await new Promise((r) => setTimeout(r, 300))
    expect(light.getConnections()).toHaveLength(0)
    await node(key, [multiaddr(addr).decapsulateCode(421).toString()])
    expect(await until(() => light.getConnections().length > 0, 5000)).toBe(true)
    // Not reported until this node is reachable (its relay reservation renewed).
    await new Promise((r) => setTimeout(r, 300))
    expect(restored).toEqual([])
    reachable = true
    expect(await until(() => restored.length > 0, 2000)).toBe(true)
    expect(restored).toEqual([first.peerId.toString()])
    link.stop()
  })

  it('ignores peers that are not configured resource nodes, and a stopped node', async () => {
    const other = await node(undefined, ['/ip4/127.0.0.1/tcp/0/ws'])
    const resource = await node(undefined, ['/ip4/127.0.0.1/tcp/0/ws'])
    const light = await node()
    const restored: string[] = []
    watchResourceNodes(light, {
      resourceNodes: [resource.getMultiaddrs()[0]?.toString() ?? ''],
      reachable: () => true,
      onRestored: (id) => restored.push(id),
      minRetryMs: 20,
    })
    await light.dial(other.getMultiaddrs()[0] ?? multiaddr())
    await light.hangUp(other.peerId)
    await light.dial(other.getMultiaddrs()[0] ?? multiaddr())
    await light.dial(resource.getMultiaddrs()[0] ?? multiaddr())
    await light.stop()
    await new Promise((r) => setTimeout(r, 200))
    expect(restored).toEqual([])
  })
})
