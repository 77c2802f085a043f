import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { addressToBytes, decodeManifest, type FileHash, isFileHash, toHex } from '@stratos-edge/core'
import type { ManifestStore } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import { writeFileAtomic } from './atomic-file.js'

/** The disk budget manifests share with slices. */
export interface ManifestBudget {
  /** Counts bytes found on disk at open. */
  count(bytes: number): void
  /**
   * Reserves `bytes` for a write, throwing StoreFullError when they do not fit; the returned function
   * settles the reservation (`kept`: the file was written and its bytes stay counted).
   */
  reserve(bytes: number, what: string): (kept: boolean) => void
  /** Stops counting bytes of a file removed. */
  release(bytes: number): void
}

/** Options of {@link openDiskManifestStore}. */
export interface DiskManifestStoreInit {
  /** Directory of the manifest files (`<file hash>.<owner 0x address>.manifest`). */
  dir: string
  /** Where atomic writes stage their temp files (same file system). */
  tmpDir: string
  logger?: Logger
}

/** Components of {@link openDiskManifestStore}. */
export interface DiskManifestStoreComponents {
  budget: ManifestBudget
}

/** Signed manifests on disk, one per (file, owner). */
export interface DiskManifestStore extends Required<ManifestStore> {
  /** The owners (0x addresses) whose manifest of the file is stored, first stored first. */
  manifestOwners(fileHash: FileHash): string[]
  /** Resolves when no write is under way. */
  idle(): Promise<void>
}

/**
 * Opens the manifest store: one file per owner's manifest of a file, written atomically after its
 * signature verified. Manifests come from anyone, so they count against the node's disk budget (which
 * also bounds the list of who signed one for which file). Owners are listed first stored first, also
 * after a restart (by the files' times). Files of the old layout (`<file hash>.manifest`, a copy of the
 * first owner's) are removed at open.
 *
 * @example
 * ```ts
 * const manifests = await openDiskManifestStore({ dir, tmpDir }, { budget })
 * await manifests.putManifest(bytes)
 * ```
 */
export async function openDiskManifestStore(
  init: DiskManifestStoreInit,
  components: DiskManifestStoreComponents,
): Promise<DiskManifestStore> {
  const { dir, tmpDir, logger } = init
  const { budget } = components
  await mkdir(dir, { recursive: true })
  const pathOf = (fileHash: FileHash, owner: string): string =>
    join(dir, `${fileHash}.${toHex(addressToBytes(owner))}.manifest`)
  // Sets keep insertion order: owners are listed first stored first.
  const ownersByFile = new Map<string, Set<string>>()
  /** Manifest files being written, by path. */
  const writes = new Map<string, Promise<void>>()
  const addOwner = (fileHash: string, owner: string): void => {
    const owners = ownersByFile.get(fileHash)
    if (owners) owners.add(owner)
    else ownersByFile.set(fileHash, new Set([owner]))
  }
  const removeOwner = (fileHash: string, owner: string): void => {
    const owners = ownersByFile.get(fileHash)
    owners?.delete(owner)
    if (owners?.size === 0) ownersByFile.delete(fileHash)
  }

  const found: { fileHash: string; owner: string; at: number }[] = []
  for (const name of await readdir(dir)) {
    const path = join(dir, name)
    const perOwner = /^(.+)\.(0x[0-9a-f]{40})\.manifest$/.exec(name)
    if (!perOwner) {
      logger?.info('removing a manifest file of the old layout', { path })
      await unlink(path).catch(() => {})
      continue
    }
    const s = await stat(path).catch(() => undefined)
    if (!s) continue
    budget.count(s.size)
    found.push({ fileHash: perOwner[1] as string, owner: perOwner[2] as string, at: s.mtimeMs })
  }
  found.sort((a, b) => a.at - b.at)
  for (const f of found) addOwner(f.fileHash, f.owner)

  const read = async (path: string): Promise<Uint8Array | undefined> => {
    try {
      return new Uint8Array(await readFile(path))
    } catch {
      return undefined
    }
  }

  return {
    async getManifest(fileHash, owner) {
      if (!isFileHash(fileHash)) return undefined
      // Without an owner, the first stored: the meta service's resolver chooses among owners.
      const who = owner ?? ownersByFile.get(fileHash)?.values().next().value
      if (who === undefined) return undefined
      try {
        return await read(pathOf(fileHash, who))
      } catch {
        return undefined // not an address
      }
    },
    async putManifest(bytes) {
      const m = decodeManifest(bytes)
      const path = pathOf(m.fileHash, m.owner)
      // One write per path at a time: the same manifest stored twice at once is written (and counted)
      // once, and its owner listed once.
      while (writes.has(path)) await writes.get(path)
      let settle = (): void => {}
      writes.set(path, new Promise<void>((r) => (settle = r)))
      try {
        const exists = await stat(path).then(
          () => true,
          () => false,
        )
        if (exists) return m.fileHash
        const done = budget.reserve(bytes.length, 'a manifest')
        // Listed from the start of its write: the order a restart finds again by the files' times.
        const owner = toHex(addressToBytes(m.owner))
        addOwner(m.fileHash, owner)
        try {
          await writeFileAtomic(tmpDir, path, [bytes])
          done(true)
        } catch (err) {
          removeOwner(m.fileHash, owner)
          done(false)
          throw err
        }
        return m.fileHash
      } finally {
        writes.delete(path)
        settle()
      }
    },
    manifestOwners(fileHash) {
      return [...(ownersByFile.get(fileHash) ?? [])]
    },
    async deleteManifest(fileHash, owner) {
      if (!isFileHash(fileHash)) return false
      const path = pathOf(fileHash, owner)
      // After a write of the same path under way: the delete is the later word.
      while (writes.has(path)) await writes.get(path)
      const size = (await stat(path).catch(() => undefined))?.size
      if (size === undefined) return false
      await unlink(path)
      budget.release(size)
      removeOwner(fileHash, toHex(addressToBytes(owner)))
      return true
    },
    async idle() {
      while (writes.size > 0) await Promise.allSettled([...writes.values()])
    },
  }
}
