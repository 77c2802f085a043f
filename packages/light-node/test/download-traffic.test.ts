import { createManifest, generateKeyPair, signManifest, sliceFile } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import type { ProviderInfo } from '../src/node/network-index.js'
import { createDownloadTraffic } from '../src/node/traffic/download-traffic.js'

const owner = generateKeyPair()
const provider: ProviderInfo = { peerId: 'peer-a', multiaddrs: [], kind: 'light' }

/** A meta service that never answers a ticket request, and records each request's signal. */
async function setup() {
  const sliced = await sliceFile(new Uint8Array(32 * 1024).fill(7), { sliceSize: 16 * 1024 })
  const manifest = signManifest(createManifest({ sliced, owner: owner.address }), owner.privateKey)
  const asked: (AbortSignal | undefined)[] = []
  const traffic = createDownloadTraffic(
    { network: 31337 },
    {
      nodeKey: generateKeyPair(),
      index: {
        requestDownloadTicket: (_request, signal) => {
          asked.push(signal)
          return new Promise(() => {})
        },
        trafficStatus: () => new Promise(() => {}),
      },
      connect: () => Promise.reject(new Error('not used')),
    },
  )
  return { traffic, manifest, asked, hash: sliced.slices[0]!.hash }
}

const settled = () => new Promise((r) => setTimeout(r, 20))

describe('download traffic: the ticket of a cancelled download', () => {
  it('is not asked for when the download was cancelled first', async () => {
    const { traffic, manifest, asked } = await setup()
    const receipts = traffic.begin(manifest, AbortSignal.abort())
    await expect(receipts.ready).rejects.toThrow()
    expect(asked).toEqual([])
  })

  it('is abandoned when the download is cancelled before any slice was verified', async () => {
    const { traffic, manifest, asked } = await setup()
    const cancel = new AbortController()
    const receipts = traffic.begin(manifest, cancel.signal)
    await settled()
    expect(asked.map((s) => s?.aborted)).toEqual([false])
    cancel.abort()
    await expect(receipts.ready).rejects.toThrow()
    expect(asked.map((s) => s?.aborted)).toEqual([true])
  })

  it('is kept once a slice was verified: the download signs for what it got', async () => {
    const { traffic, manifest, asked, hash } = await setup()
    const cancel = new AbortController()
    const receipts = traffic.begin(manifest, cancel.signal)
    await settled()
    receipts.verified(provider, hash, 16 * 1024)
    cancel.abort()
    await settled()
    expect(asked.map((s) => s?.aborted)).toEqual([false])
  })
})
