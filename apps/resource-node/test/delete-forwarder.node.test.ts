// The meta service's delete forwarder with its real outbox file; the nodes it sends to are fakes of its
// edges (the libp2p path is tested in delete-forwarding.node.test.ts).
import type { FileHash } from '@stratos-edge/core'
import type { ProviderRecord } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createDeleteForwarder, type DeleteForwarderComponents } from '../src/meta/delete-forwarder.js'
import { deleteOutboxPath, readDeleteOutbox } from '../src/meta/delete-outbox.js'
import { quietLogger, tempDir, until } from './helpers.js'

const node = (peerId: string): ProviderRecord => ({ peerId, kind: 'resource', multiaddrs: [] })
const del = (n: number) => ({
  fileHash: `v05j1m5file${n}` as FileHash,
  owner: '0x1a642f0e3c3af545e7acbd38b07251b3990914f1',
  request: Uint8Array.of(n),
})

describe('delete forwarder', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  async function outbox() {
    const d = await tempDir('fwd-outbox')
    cleanups.push(d.cleanup)
    return deleteOutboxPath(d.dir)
  }

  it('keeps what a node that is down is owed across a restart, and sends it when the node is back', async () => {
    const path = await outbox()
    const up = new Set(['a'])
    const got: string[] = []
    const send: DeleteForwarderComponents['send'] = async (target, request) => {
      if (!up.has(target.peerId)) throw new Error('dial failed')
      got.push(`${target.peerId}:${request[0]}`)
    }
    const targets = () => [node('a'), node('b')]
    const first = createDeleteForwarder(
      { path, firstBackoffMs: 60_000 },
      { targets, send, logger: quietLogger },
    )
    await first.start()
    await first.forward(del(1))
    await until(() => got.includes('a:1'))
    await until(() => first.owed() === 1) // b is down: its first try failed, the next is a minute away
    await first.stop()
    expect((await readDeleteOutbox(path)).map((d) => [...d.owed.keys()])).toEqual([['b']])

    // The meta service restarts; b comes back and announces itself.
    up.add('b')
    const second = createDeleteForwarder(
      { path, firstBackoffMs: 60_000 },
      { targets, send, logger: quietLogger },
    )
    await second.start()
    second.peerSeen('b')
    await until(() => got.includes('b:1'))
    await until(() => second.owed() === 0)
    await second.stop()
    expect(await readDeleteOutbox(path)).toEqual([])
    expect(got.filter((g) => g === 'a:1')).toHaveLength(1)
  })

  it('retries with backoff, at most maxParallelPerTarget sends to a node at once, and gives up on a refusal', async () => {
    const path = await outbox()
    const running = new Map<string, number>()
    let most = 0
    const tries = new Map<string, number>()
    const send: DeleteForwarderComponents['send'] = async (target, request) => {
      running.set(target.peerId, (running.get(target.peerId) ?? 0) + 1)
      most = Math.max(most, ...running.values())
      await new Promise((r) => setTimeout(r, 20))
      running.set(target.peerId, (running.get(target.peerId) ?? 0) - 1)
      const key = `${target.peerId}:${request[0]}`
      tries.set(key, (tries.get(key) ?? 0) + 1)
      if (target.peerId === 'refuses') throw Object.assign(new Error('forged'), { name: 'NotOwnerError' })
      if (target.peerId === 'flaky' && (tries.get(key) ?? 0) < 3) throw new Error('timeout')
    }
    const targets = () => ['a', 'b', 'c', 'flaky', 'refuses'].map(node)
    const forwarder = createDeleteForwarder(
      { path, maxParallelPerTarget: 2, firstBackoffMs: 50 },
      { targets, send, logger: quietLogger },
    )
    await forwarder.start()
    await forwarder.forward(del(1))
    await forwarder.forward(del(2))
    await until(() => forwarder.owed() === 0)
    await forwarder.stop()
    expect(most).toBe(2)
    expect(tries.get('flaky:1')).toBe(3)
    expect(tries.get('refuses:1')).toBe(1)
    expect(await readDeleteOutbox(path)).toEqual([])
  })

  it('drops deletes past their retention', async () => {
    const path = await outbox()
    let t = 1_000_000
    const send: DeleteForwarderComponents['send'] = async () => {
      throw new Error('down')
    }
    const init = { path, retentionMs: 10_000, firstBackoffMs: 60_000, now: () => t }
    const forwarder = createDeleteForwarder(init, { targets: () => [node('a')], send, logger: quietLogger })
    await forwarder.start()
    await forwarder.forward(del(1))
    await until(() => forwarder.owed() === 1)
    await forwarder.stop()
    t += 10_001
    const later = createDeleteForwarder(init, { targets: () => [node('a')], send, logger: quietLogger })
    await later.start()
    expect(later.owed()).toBe(0)
    await later.stop()
    expect(await readDeleteOutbox(path)).toEqual([])
  })
})
