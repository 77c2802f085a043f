// The light node's options from /config.json, in the shape npm start serves it.
import { describe, expect, it } from 'vitest'
import { nodeOptionsOf } from '../src/config.ts'

const ws = '/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooWExample'

describe('nodeOptionsOf', () => {
  it('passes the Polygon RPC, so the node reads its STOS balance and can claim with its key', () => {
    expect(
      nodeOptionsOf({
        resourceNodes: [ws],
        gatewayUrl: 'http://127.0.0.1:8080',
        network: 31337,
        polygon: { rpcUrl: 'http://127.0.0.1:8546', chainId: 31338, addresses: { trafficRewards: '0x01' } },
      }),
    ).toEqual({
      resourceNodes: [ws],
      gatewayUrl: 'http://127.0.0.1:8080',
      network: 31337,
      polygonRpc: 'http://127.0.0.1:8546',
    })
  })

  it('leaves out what the config does not have', () => {
    expect(nodeOptionsOf({ resourceNodes: [ws] })).toEqual({ resourceNodes: [ws] })
  })
})
