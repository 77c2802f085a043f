// The meta service records an owner's delete in its outbox before it drops the manifest: a crash at the
// drop still forwards the delete, and an outbox that cannot be written refuses the delete (nothing is
// dropped, the owner sees an error and retries). Real forwarder and outbox file; the manifest store and
// the nodes sent to are fakes of the edges (a store that "crashes" at the drop).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerId } from '@libp2p/interface'
import { encodeManifestDelete, type FileHash, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import type { ManifestStore, ProviderRecord } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetaService } from '../src/index.js'
import { createDeleteForwarder, type DeleteForwarderComponents } from '../src/meta/delete-forwarder.js'
import { deleteOutboxPath, readDeleteOutbox } from '../src/meta/delete-outbox.js'
import { makeFile, owner, quietLogger, tempDir, until } from './helpers.js'

/** The owner's client, as the index protocol names it to the meta service. */
const from = { peer: { toString: () => 'client' } as unknown as PeerId, remoteAddr: '/ip4/127.0.0.1/tcp/1' }
const node = (peerId: string): ProviderRecord => ({ peerId, kind: 'resource', multiaddrs: [] })

/** Keeps manifests by file and owner; `crashAtDrop` makes the next drop throw before anything is dropped. */
function memoryManifests(fileHash: FileHash, bytes: Uint8Array) {
  const kept = new Map([[owner.evmAddress.toLowerCase(), bytes]])
  const state = { crashAtDrop: false }
  const store: ManifestStore = {
    getManifest: async (f, o) => (f === fileHash && o ? kept.get(o.toLowerCase()) : undefined),
    putManifest: async () => fileHash,
    manifestOwners: (f) => (f === fileHash ? [...kept.keys()] : []),
    deleteManifest: async (f, o) => {
      if (state.crashAtDrop) {
        state.crashAtDrop = false
        throw new Error('process killed')
      }
      return f === fileHash && kept.delete(o.toLowerCase())
    },
  }
  return { store, state, has: () => kept.size > 0 }
}

describe('a delete is in the outbox before its manifest is dropped', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  async function setup() {
    const d = await tempDir('del-first')
    cleanups.push(d.cleanup)
    const file = await makeFile(100_000, 65_536)
    const manifests = memoryManifests(file.manifest.fileHash, file.manifestBytes)
    const request = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: file.manifest.fileHash },
        privateKeySigner(owner.privateKey),
      ),
    )
    return { dir: d.dir, manifests, request }
  }

  it('forwards a delete whose drop was cut short by a crash', async () => {
    const { dir, manifests, request } = await setup()
    const path = deleteOutboxPath(dir)
    const got: string[] = []
    let up = false
    const send: DeleteForwarderComponents['send'] = async (target) => {
      if (!up) throw new Error('dial failed')
      got.push(target.peerId)
    }
    const targets = () => [node('a')]
    const forwarder = createDeleteForwarder(
      { path, firstBackoffMs: 60_000 },
      { targets, send, logger: quietLogger },
    )
    await forwarder.start()
    const meta = createMetaService({ manifests: manifests.store, deletes: forwarder, logger: quietLogger })
    manifests.state.crashAtDrop = true
    await expect(meta.deleteManifest(request, from)).rejects.toThrow('process killed')
    await forwarder.stop() // the process is gone
    expect((await readDeleteOutbox(path)).map((d) => [...d.owed.keys()])).toEqual([['a']])

    // Restarted: the owed delete is sent from the outbox; the owner's retry drops the manifest here.
    up = true
    const again = createDeleteForwarder({ path }, { targets, send, logger: quietLogger })
    await again.start()
    cleanups.push(() => again.stop())
    again.peerSeen('a') // the node is back and announces itself
    await until(() => got.includes('a'))
    const restarted = createMetaService({ manifests: manifests.store, deletes: again, logger: quietLogger })
    expect(await restarted.deleteManifest(request, from)).toBe(true)
    expect(manifests.has()).toBe(false)
  })

  it('refuses the delete, and keeps the manifest, when the outbox cannot be written', async () => {
    const { dir, manifests, request } = await setup()
    const forwarder = createDeleteForwarder(
      { path: deleteOutboxPath(dir), firstBackoffMs: 60_000 },
      { targets: () => [node('a')], send: async () => {}, logger: quietLogger },
    )
    await forwarder.start()
    // The outbox's directory is a file: every write fails (as ENOSPC or EIO would).
    await writeFile(join(dir, 'meta'), 'not a directory')
    cleanups.push(() => forwarder.stop())
    const meta = createMetaService({ manifests: manifests.store, deletes: forwarder, logger: quietLogger })
    await expect(meta.deleteManifest(request, from)).rejects.toMatchObject({
      code: expect.stringMatching(/^E/),
    })
    expect(manifests.has()).toBe(true)
  })
})
