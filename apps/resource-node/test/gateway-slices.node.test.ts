import type { Libp2p } from '@libp2p/interface'
import type { SliceHash } from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGatewaySlices, type GatewaySlicesComponents } from '../src/node/gateway-slices.js'
import { createClient, makeFile, quietLogger, type TestFile } from './helpers.js'

describe('gateway slices fetched from other nodes', () => {
  let provider: Libp2p
  let file: TestFile
  beforeAll(async () => {
    provider = await createClient()
    file = await makeFile(6 * 16 * 1024, 16 * 1024)
  })
  afterAll(async () => {
    await provider?.stop()
  })

  it('one fetch per slice for all its readers, at most maxRemoteFetches at once, then GatewayBusyError', async () => {
    // Dials hang until the test lets them fail: every fetch stays under way meanwhile.
    const dialed: string[] = []
    let failDials = (): void => {}
    const dialsFail = new Promise<void>((r) => {
      failDials = r
    })
    const libp2p = {
      peerId: { toString: () => 'self' },
      peerStore: { merge: async () => {} },
      dialProtocol: async () => {
        dialed.push('dial')
        await dialsFail
        throw new Error('provider unreachable')
      },
    } as unknown as GatewaySlicesComponents['libp2p']
    const record = { peerId: provider.peerId.toString(), kind: 'resource' as const, multiaddrs: [] }
    const slices = createGatewaySlices({
      libp2p,
      store: { get: async () => undefined, has: async () => false, put: async () => true },
      readCache: { read: async function* () {}, cachedBytes: 0 },
      meta: { lookup: async (hashes: SliceHash[]) => new Map(hashes.map((h) => [h, [record]])) },
      logger: quietLogger,
      maxRemoteFetches: 2,
    })
    const read = (i: number) => {
      const it = slices.readSlice(file.slices[i]!.hash, 0, 1, new AbortController().signal)
      return it.next()
    }
    const first = [read(0), read(0), read(0), read(1)]
    await new Promise((r) => setTimeout(r, 50))
    // Three readers of slice 1 share one dial.
    expect(dialed.length).toBe(2)
    await expect(read(2)).rejects.toMatchObject({ name: 'GatewayBusyError' })
    failDials()
    for (const r of first) await expect(r).rejects.toMatchObject({ name: 'SliceNotFoundError' })
    // Done: room again.
    const again = read(2)
    await expect(again).rejects.toMatchObject({ name: 'SliceNotFoundError' })
    expect(dialed.length).toBe(3)
  })
})
