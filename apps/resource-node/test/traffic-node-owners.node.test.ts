// The meta service's node-owner bindings: the rules a binding must pass, the book that keeps them for
// good (append-only, capped per node, durable), and the self-dealing rule reading it.
import {
  type EvmAddress,
  encodeNodeOwnerBinding,
  generateKeyPair,
  type KeyPair,
  privateKeySigner,
  signNodeOwnerBinding,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  checkNodeOwnerBinding,
  isSelfDealing,
  openNodeOwnerBook,
  registerEncodedNodeOwner,
} from '../src/traffic/index.js'
import { tempDir } from './traffic-fixtures.js'

const NETWORK = 31337
const NOW = 1_800_000_000
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const bind = (node: KeyPair, wallet: KeyPair, opts: { network?: number; issuedAt?: number } = {}) =>
  signNodeOwnerBinding(
    { network: opts.network ?? NETWORK, issuedAt: opts.issuedAt ?? NOW },
    { owner: privateKeySigner(wallet.privateKey), node: privateKeySigner(node.privateKey) },
  )

async function book(maxOwnersPerNode?: number) {
  const t = await tempDir()
  cleanups.push(t.cleanup)
  const b = openNodeOwnerBook({ dataDir: t.dir, ...(maxOwnersPerNode ? { maxOwnersPerNode } : {}) })
  cleanups.push(() => b.close())
  return { book: b, dir: t.dir }
}

describe('node-owner bindings', () => {
  it('refuse each broken rule with its reason', async () => {
    const [node, wallet, stranger] = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
    const ctx = { network: NETWORK, nowSeconds: NOW }
    const good = await bind(node, wallet)
    expect(checkNodeOwnerBinding(good, ctx)).toBeUndefined()
    expect(checkNodeOwnerBinding(await bind(node, wallet, { network: 1 }), ctx)).toBe('wrong-network')
    expect(checkNodeOwnerBinding({ ...good, owner: node.evmAddress }, ctx)).toBe('self-owned')
    expect(checkNodeOwnerBinding(await bind(node, wallet, { issuedAt: NOW + 301 }), ctx)).toBe('future')
    expect(checkNodeOwnerBinding(await bind(node, wallet, { issuedAt: NOW + 300 }), ctx)).toBeUndefined()
    // Claiming another's node: the owner signs, the node's signature is someone else's.
    const byStranger = await bind(stranger, wallet)
    expect(checkNodeOwnerBinding({ ...byStranger, node: node.evmAddress }, ctx)).toBe('forged')
    // Binding a node to a stranger's wallet: the wallet never signed.
    const toStranger = await bind(node, wallet)
    expect(checkNodeOwnerBinding({ ...toStranger, owner: stranger.evmAddress }, ctx)).toBe('forged')
    const { book: b } = await book()
    expect(registerEncodedNodeOwner(b, new Uint8Array(3), ctx)).toEqual({
      outcome: 'rejected',
      reason: 'malformed',
    })
    expect(b.owners(node.evmAddress)).toEqual([])
  })

  it('are kept for good, once per pair, at most N owners per node, across a reopen', async () => {
    const { book: b, dir } = await book(2)
    const ctx = { network: NETWORK, nowSeconds: NOW }
    const node = generateKeyPair()
    const [w1, w2, w3] = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
    const first = encodeNodeOwnerBinding(await bind(node, w1))
    expect(registerEncodedNodeOwner(b, first, ctx)).toEqual({ outcome: 'accepted' })
    expect(registerEncodedNodeOwner(b, first, ctx)).toEqual({ outcome: 'duplicate' })
    // A later binding of the same pair (new date) is the same pair: nothing to add.
    const later = encodeNodeOwnerBinding(await bind(node, w1, { issuedAt: NOW + 10 }))
    expect(registerEncodedNodeOwner(b, later, ctx)).toEqual({ outcome: 'duplicate' })
    expect(registerEncodedNodeOwner(b, encodeNodeOwnerBinding(await bind(node, w2)), ctx)).toEqual({
      outcome: 'accepted',
    })
    expect(registerEncodedNodeOwner(b, encodeNodeOwnerBinding(await bind(node, w3)), ctx)).toEqual({
      outcome: 'rejected',
      reason: 'too-many-owners',
    })
    const owners = [w1.evmAddress, w2.evmAddress].sort()
    expect(b.owners(node.evmAddress)).toEqual(owners)
    b.close()
    const reopened = openNodeOwnerBook({ dataDir: dir })
    cleanups.push(() => reopened.close())
    expect(reopened.owners(node.evmAddress)).toEqual(owners)
    // What was kept is what both signed.
    expect(reopened.bindings(node.evmAddress).map((x) => x.owner)).toEqual(owners)
    expect(reopened.owners(w1.evmAddress)).toEqual([])
  })

  it('make a receipt self-dealing exactly when its two sides share an owner or own each other', async () => {
    // Any bindings among a few nodes and wallets, kept in a real book: the rule matches the definition.
    const { book: b } = await book()
    const keys = Array.from({ length: 5 }, generateKeyPair)
    const ctx = { network: NETWORK, nowSeconds: NOW }
    const pairs = new Set<string>()
    for (const [n, o] of fc.sample(fc.tuple(fc.nat(4), fc.nat(4)), 12)) {
      if (n === o) continue
      registerEncodedNodeOwner(b, encodeNodeOwnerBinding(await bind(keys[n]!, keys[o]!)), ctx)
      pairs.add(`${n}>${o}`)
    }
    const owns = (o: number, n: number) => pairs.has(`${n}>${o}`)
    for (let d = 0; d < keys.length; d++) {
      for (let p = 0; p < keys.length; p++) {
        const shared = keys.some((_, o) => owns(o, d) && owns(o, p))
        const expected = d === p || owns(d, p) || owns(p, d) || shared
        const got = isSelfDealing(keys[d]!.evmAddress, keys[p]!.evmAddress, (a: EvmAddress) => b.owners(a))
        expect(got, `downloader ${d}, provider ${p}`).toBe(expected)
      }
    }
  })
})
