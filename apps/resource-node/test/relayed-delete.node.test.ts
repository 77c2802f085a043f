// A node takes a delete older than core's window only when its own meta service relays it, and still
// checks the owner's signature: the meta service cannot forge one, nor revive a stale one from elsewhere.
import { encodeManifestDelete, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDiskSliceStore } from '../src/index.js'
import { createManifestDeleter } from '../src/meta/manifest-deleter.js'
import { makeFile, owner, quietLogger, stranger, type TestFile, tempDir } from './helpers.js'

describe('a delete relayed by the meta service', () => {
  let store: Awaited<ReturnType<typeof openDiskSliceStore>>
  let file: TestFile
  let cleanup: () => Promise<void>
  const from = (peer: string) => ({ peer: { toString: () => peer } })
  const deleter = () => createManifestDeleter({ relayedBy: () => 'meta-peer' }, { manifests: store })

  beforeAll(async () => {
    const t = await tempDir('relayed-delete')
    cleanup = t.cleanup
    store = await openDiskSliceStore({ dir: t.dir, logger: quietLogger })
    file = await makeFile(70_000, 65_536)
    await store.putManifest(file.manifestBytes)
  })
  afterAll(async () => {
    await store?.close()
    await cleanup?.()
  })

  // Signed a day after the manifest was made, and a day before now: outside core's 5-minute window.
  const dayOld = async (key: Uint8Array) =>
    signManifestDelete(
      { network: 0, fileHash: file.manifest.fileHash, signedAt: Math.floor(Date.now() / 1000) - 86_400 },
      privateKeySigner(key),
    )

  it('refuses an old delete from any other peer, and a forged one even from the meta service', async () => {
    const old = encodeManifestDelete(await dayOld(owner.privateKey))
    await expect(deleter().deleteManifest(old, from('stranger-peer'))).rejects.toMatchObject({
      name: 'DeleteExpiredError',
    })
    await expect(deleter().deleteManifest(old)).rejects.toMatchObject({ name: 'DeleteExpiredError' })
    const forged = encodeManifestDelete({ ...(await dayOld(stranger.privateKey)), owner: owner.evmAddress })
    await expect(deleter().deleteManifest(forged, from('meta-peer'))).rejects.toMatchObject({
      name: 'NotOwnerError',
    })
    expect(await store.getManifest(file.manifest.fileHash, owner.evmAddress)).toBeDefined()
  })

  it('takes the owner’s day-old delete from its meta service', async () => {
    // The manifest was made just now, after the delete was signed: a replay cannot remove it.
    const old = encodeManifestDelete(await dayOld(owner.privateKey))
    expect((await deleter().deleteManifest(old, from('meta-peer'))).dropped).toBe(false)
    const fresh = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: file.manifest.fileHash },
        privateKeySigner(owner.privateKey),
      ),
    )
    // Relayed an hour after it was signed, as the outbox does for a node that was down.
    const late = createManifestDeleter(
      { relayedBy: () => 'meta-peer', now: () => Date.now() + 3600_000 },
      { manifests: store },
    )
    await expect(late.deleteManifest(fresh, from('another-peer'))).rejects.toMatchObject({
      name: 'DeleteExpiredError',
    })
    expect((await late.deleteManifest(fresh, from('meta-peer'))).dropped).toBe(true)
    expect(await store.getManifest(file.manifest.fileHash, owner.evmAddress)).toBeUndefined()
  })
})
