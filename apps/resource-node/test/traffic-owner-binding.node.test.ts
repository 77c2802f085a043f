// A resource node started with its operator's key binds its traffic key to that wallet at the meta
// service on its first traffic round; the meta service keeps the binding in its node-owner book.
import { generateKeyPair, toHex } from '@stratos-edge/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode } from '../src/index.js'
import { loadOrCreateNodeEvmKey } from '../src/node/traffic-key.js'
import { openNodeOwnerBook } from '../src/traffic/index.js'
import { quietLogger, tempDir, until } from './helpers.js'

describe('resource node owner binding', () => {
  const stops: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const s of stops.reverse()) await s()
  })

  it('registers its traffic key under the operator’s wallet', async () => {
    const { dir, cleanup } = await tempDir('traffic-owner-binding')
    stops.push(cleanup)
    const operator = generateKeyPair()
    const nodeKey = await loadOrCreateNodeEvmKey(dir)
    const node = await createResourceNode(
      {
        dataDir: dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        meta: true,
        tickets: { network: 31337, freeOzone: 10n ** 9n },
        traffic: { verifierThreads: 0, epochSeconds: 600 },
        providerTraffic: { operatorKey: toHex(operator.privateKey), intervalMs: 100, selfReport: false },
      },
      { logger: quietLogger },
    )
    await node.start()
    stops.push(() => node.stop())
    // A second connection to the meta service's book (WAL: it sees what the node committed).
    const book = openNodeOwnerBook({ dataDir: dir })
    stops.push(async () => book.close())
    await until(() => book.owners(nodeKey.evmAddress).length > 0, 10_000)
    expect(book.owners(nodeKey.evmAddress)).toEqual([operator.evmAddress])
    expect(book.bindings(nodeKey.evmAddress)[0]).toMatchObject({ network: 31337, node: nodeKey.evmAddress })
  })
})
