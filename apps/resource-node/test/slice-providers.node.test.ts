// The index answer cache in front of the gateway's provider lookups: single-flight, short-lived, and
// "the index could not answer" is never kept.
import type { SliceHash } from '@stratos-edge/core'
import type { ProviderRecord } from '@stratos-edge/protocol'
import { describe, expect, it } from 'vitest'
import { createSliceProviders, NO_PROVIDERS_TTL_MS, PROVIDERS_TTL_MS } from '../src/node/slice-providers.js'

const a = 'slice-a' as SliceHash
const b = 'slice-b' as SliceHash
const record: ProviderRecord = { peerId: 'peer', kind: 'resource', multiaddrs: [] }

function setup(answer: (h: SliceHash) => ProviderRecord[] | 'fail', useful?: (p: ProviderRecord) => boolean) {
  let now = 1_000
  const asked: SliceHash[][] = []
  const providers = createSliceProviders({
    now: () => now,
    ...(useful ? { useful } : {}),
    lookup: async (hashes) => {
      asked.push(hashes)
      await new Promise((r) => setTimeout(r, 5))
      if (hashes.some((h) => answer(h) === 'fail')) throw new Error('index down')
      return new Map(hashes.map((h) => [h, answer(h) as ProviderRecord[]]))
    },
  })
  return { providers, asked, advance: (ms: number) => (now += ms) }
}

describe('slice providers', () => {
  it('concurrent asks share one lookup, and only new slices are asked', async () => {
    const { providers, asked } = setup(() => [record])
    const answers = await Promise.all(Array.from({ length: 20 }, () => providers.of([a])))
    expect(asked).toEqual([[a]])
    for (const m of answers) expect(m?.get(a)).toEqual([record])
    await providers.of([a, b])
    expect(asked).toEqual([[a], [b]])
  })

  it('keeps providers for PROVIDERS_TTL_MS and "nobody" for NO_PROVIDERS_TTL_MS', async () => {
    const { providers, asked, advance } = setup((h) => (h === a ? [record] : []))
    await providers.of([a, b])
    advance(NO_PROVIDERS_TTL_MS - 1)
    await providers.of([a, b])
    expect(asked.length).toBe(1)
    advance(1)
    expect((await providers.of([a, b]))?.get(b)).toEqual([])
    expect(asked).toEqual([[a, b], [b]])
    advance(PROVIDERS_TTL_MS)
    await providers.of([a])
    expect(asked.length).toBe(3)
  })

  it('an answer naming only providers the reader cannot use is kept as briefly as "nobody"', async () => {
    const browser: ProviderRecord = { peerId: 'browser', kind: 'light', multiaddrs: [] }
    const { providers, asked, advance } = setup(
      () => [browser],
      (p) => p.kind === 'resource',
    )
    await providers.of([a])
    advance(NO_PROVIDERS_TTL_MS)
    await providers.of([a])
    expect(asked.length).toBe(2)
  })

  it('an index that cannot answer says undefined and is asked again next time', async () => {
    let down = true
    const { providers, asked } = setup(() => (down ? 'fail' : [record]))
    expect(await providers.of([a])).toBeUndefined()
    down = false
    expect((await providers.of([a]))?.get(a)).toEqual([record])
    expect(asked.length).toBe(2)
  })
})
