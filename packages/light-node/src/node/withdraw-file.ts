/**
 * Withdrawing an owned file from the network: the owner signs a delete of its manifest (the page's
 * wallet, asked across comlink, or the node's key), every resource node known drops that manifest, and
 * then this node drops the file's slices and record (which withdraws its announcements of them).
 */
import {
  decodeManifest,
  encodeManifestDelete,
  type KeyPair,
  NotOwnerError,
  privateKeySigner,
  signManifestDelete,
  type TypedDataSigner,
  toEvmAddress,
} from '@stratos-edge/core'
import type { WithdrawResult } from '../api-types.js'
import { ManifestNotFoundError } from '../errors.js'
import type { IdbSliceStore } from '../store/idb-slice-store.js'
import type { NetworkIndex } from './network-index.js'

/** Options of {@link withdrawFile}. */
export interface WithdrawFileInit {
  /** The network id deletes are signed for (0 when the network has none). */
  network?: number | undefined
}

/** Edges of {@link withdrawFile}. */
export interface WithdrawFileComponents {
  store: Pick<IdbSliceStore, 'getFile' | 'dropFile'>
  index: Pick<NetworkIndex, 'deleteManifest'> | undefined
  /** The node's key: signs for files it owns when no signer is given. */
  owner: KeyPair
}

/**
 * Withdraws `fileHash`, an upload of this node. Throws `ManifestNotFoundError` when this node owns no
 * such file, core's `NotOwnerError` when the signer is not the file's owner, and what the resource
 * nodes answer when all of them refuse (the file then stays here, to try again).
 *
 * @example
 * ```ts
 * const { deletedFrom } = await withdrawFile(fileHash, walletSigner, { network: 137 }, { store, index, owner })
 * ```
 */
export async function withdrawFile(
  fileHash: string,
  signer: TypedDataSigner | undefined,
  init: WithdrawFileInit,
  components: WithdrawFileComponents,
): Promise<WithdrawResult> {
  const { store, index, owner } = components
  const record = await store.getFile(fileHash)
  if (record?.pinned !== 1 || record.state !== 'complete' || !record.manifest) {
    throw new ManifestNotFoundError(
      `This node owns no uploaded file ${fileHash}`,
      'Withdraw from the browser that uploaded it',
    )
  }
  const manifest = decodeManifest(record.manifest, { verify: false })
  const signing = signer ?? privateKeySigner(owner.privateKey)
  if (toEvmAddress(signing.address) !== toEvmAddress(manifest.owner)) {
    throw new NotOwnerError(
      `${manifest.fileHash} is owned by ${manifest.owner}, not ${signing.address}`,
      signer ? 'Connect the wallet that uploaded it' : 'Withdraw it with the wallet that uploaded it',
    )
  }
  const del = await signManifestDelete({ network: init.network ?? 0, fileHash: manifest.fileHash }, signing)
  const deletedFrom = index?.deleteManifest ? await index.deleteManifest(encodeManifestDelete(del)) : []
  // Only once the network took it: a refused delete leaves the file here to try again.
  await store.dropFile(manifest.fileHash, { includePinned: true })
  return { fileHash: manifest.fileHash, owner: manifest.owner, deletedFrom }
}
