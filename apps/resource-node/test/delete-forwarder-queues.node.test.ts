// The delete forwarder keeps a queue per node: a node that is down (its sends hang until they time out)
// does not hold up deliveries to the live ones. Also: deletes given up are counted, and a relayed delete
// a node refuses as too old is retried. Real forwarder and outbox file; the nodes are fakes of `send`.
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
  request: Uint8Array.of(n >> 8, n & 255),
})

describe('delete forwarder queues', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  async function outbox() {
    const d = await tempDir('fwd-queues')
    cleanups.push(d.cleanup)
    return deleteOutboxPath(d.dir)
  }

  it('delivers to live nodes while a node that is down hangs every send', async () => {
    const path = await outbox()
    const got = new Map<string, number>()
    let downRunning = 0
    let downMost = 0
    const send: DeleteForwarderComponents['send'] = async (target, _request, signal) => {
      if (target.peerId === 'down') {
        downRunning++
        downMost = Math.max(downMost, downRunning)
        // A dial to a node that is gone: no answer until the send is aborted (the forwarder stops).
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timeout'))))
        return
      }
      got.set(target.peerId, (got.get(target.peerId) ?? 0) + 1)
    }
    const forwarder = createDeleteForwarder(
      { path, maxParallelPerTarget: 2 },
      { targets: () => ['down', 'a', 'b'].map(node), send, logger: quietLogger },
    )
    await forwarder.start()
    cleanups.push(() => forwarder.stop())
    const count = 150
    for (let n = 0; n < count; n++) await forwarder.forward(del(n))
    await until(() => got.get('a') === count && got.get('b') === count, 10_000)
    expect(downMost).toBeLessThanOrEqual(2)
    expect(forwarder.owed()).toBe(count) // all still owed to the node that is down
    await forwarder.stop()
    expect((await readDeleteOutbox(path)).every((d) => [...d.owed.keys()].join() === 'down')).toBe(true)
  })

  it('counts and keeps the newest deletes when more than maxDeletes are owed', async () => {
    const path = await outbox()
    const send: DeleteForwarderComponents['send'] = async () => {
      throw new Error('down')
    }
    const forwarder = createDeleteForwarder(
      { path, maxDeletes: 3, firstBackoffMs: 60_000 },
      { targets: () => [node('a')], send, logger: quietLogger },
    )
    await forwarder.start()
    cleanups.push(() => forwarder.stop())
    for (let n = 0; n < 5; n++) await forwarder.forward(del(n))
    expect(forwarder.counters.droppedOverCount).toBe(2)
    expect(forwarder.owed()).toBe(3)
    await forwarder.stop()
    expect((await readDeleteOutbox(path)).map((d) => d.fileHash)).toEqual(
      [2, 3, 4].map((n) => del(n).fileHash),
    )
  })

  it('retries a relayed delete a node refused as too old (it did not know the meta service yet)', async () => {
    const path = await outbox()
    let tries = 0
    const send: DeleteForwarderComponents['send'] = async () => {
      tries++
      if (tries < 3) throw Object.assign(new Error('delete too old'), { name: 'DeleteExpiredError' })
    }
    const forwarder = createDeleteForwarder(
      { path, firstBackoffMs: 20 },
      { targets: () => [node('a')], send, logger: quietLogger },
    )
    await forwarder.start()
    cleanups.push(() => forwarder.stop())
    await forwarder.forward(del(1))
    await until(() => forwarder.owed() === 0)
    expect(tries).toBe(3)
    expect(forwarder.counters.refused).toBe(0)
  })
})
