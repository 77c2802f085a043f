import type { FileHash, SliceHash } from '@stratos-edge/core'

/** One slice with what identifies it. */
export interface SliceRecord {
  /** The SDS slice hash of (number, data, fileHash). */
  hash: SliceHash
  /** The file the slice belongs to. */
  fileHash: FileHash
  /** Slice number, from 1. */
  number: number
  /** The slice's bytes. */
  data: Uint8Array
}

/** What a store knows about a slice without reading its bytes. */
export interface SliceInfo {
  hash: SliceHash
  fileHash: FileHash
  number: number
  size: number
}

/** Options of {@link SliceStore.get}. */
export interface SliceGetOptions {
  signal?: AbortSignal
  /**
   * `false` when whoever receives the bytes verifies them anyway (every slice-fetch client does): a store
   * may then skip re-hashing a slice it already verified since it opened. Default `true`.
   */
  reverify?: boolean
}

/** Options of {@link SliceStore.put}. */
export interface SlicePutOptions {
  /**
   * The caller has already verified the hash (the slice services hash while bytes arrive); the store
   * may skip its own check. Never set this for bytes you did not hash yourself.
   */
  verified?: boolean
  signal?: AbortSignal
}

/**
 * Where a node keeps slices. The Node resource node implements it on disk, the browser light node in
 * IndexedDB; the slice services only see this interface.
 *
 * Contract: `put` verifies the hash (unless `verified`), and resolves only once the slice is durable;
 * `get` returns only bytes that verify (a corrupt entry is treated as missing and may be deleted);
 * `put` of an existing slice is a no-op. A full store rejects `put` with `StoreFullError`.
 */
export interface SliceStore {
  has(hash: SliceHash): Promise<boolean>
  /** The slice, verified, or `undefined`. */
  get(hash: SliceHash, options?: SliceGetOptions): Promise<SliceRecord | undefined>
  /** Metadata without the bytes, or `undefined`. */
  info(hash: SliceHash): Promise<SliceInfo | undefined>
  /** Resolves true when this call stored the slice, false when it was held already. */
  put(slice: SliceRecord, options?: SlicePutOptions): Promise<boolean>
  /** Returns true when something was deleted. */
  delete(hash: SliceHash): Promise<boolean>
}

/** Where a node keeps signed manifests (encoded with core's `encodeManifest`). */
export interface ManifestStore {
  /**
   * A manifest of the file: the one `owner` signed, when given (a store that keeps one manifest per file
   * may answer with that one: callers check the owner).
   */
  getManifest(fileHash: FileHash, owner?: string): Promise<Uint8Array | undefined>
  /** Decodes and verifies the manifest, stores it, returns its file hash. */
  putManifest(bytes: Uint8Array): Promise<FileHash>
  /**
   * The owners (`0x…` addresses) whose manifest of the file is stored, first stored first. Optional: a
   * store that keeps one manifest per file has no such list.
   */
  manifestOwners?(fileHash: FileHash): readonly string[] | Promise<readonly string[]>
  /** Drops `owner`'s manifest of the file; resolves whether one was stored. Optional. */
  deleteManifest?(fileHash: FileHash, owner: string): Promise<boolean>
}
