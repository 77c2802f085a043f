// The same signed delete may reach a node twice at once (from its owner, and forwarded by the meta
// service): both answers come back, one of them the drop, on the real disk store.
import { encodeManifestDelete, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import { expect, it } from 'vitest'
import { openDiskSliceStore } from '../src/index.js'
import { createManifestDeleter } from '../src/meta/manifest-deleter.js'
import { makeFile, owner, quietLogger, tempDir } from './helpers.js'

it('two deletes of one manifest at once: one drops it, the other finds it gone', async () => {
  const t = await tempDir('concurrent-delete')
  const store = await openDiskSliceStore({ dir: t.dir, logger: quietLogger })
  try {
    const deleter = createManifestDeleter({}, { manifests: store })
    for (let round = 0; round < 5; round++) {
      const file = await makeFile(70_000, 65_536)
      await store.putManifest(file.manifestBytes)
      const del = encodeManifestDelete(
        await signManifestDelete(
          { network: 0, fileHash: file.manifest.fileHash },
          privateKeySigner(owner.privateKey),
        ),
      )
      const outcomes = await Promise.all([deleter.deleteManifest(del), deleter.deleteManifest(del)])
      expect(outcomes.map((o) => o.dropped).sort()).toEqual([false, true])
    }
  } finally {
    await store.close()
    await t.cleanup()
  }
})
