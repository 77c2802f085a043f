/**
 * Errors of the light node. Each failure has its own class with a stable `name`; check `err.name`
 * (comlink carries `name` and `message` across the worker boundary, not the class).
 */
import { defineErrorClass as defineError, StratosEdgeError } from '@stratos-edge/core'

/** Storing would exceed the node's byte budget or the browser's quota; nothing was written. */
export class StorageQuotaError extends defineError('StorageQuotaError') {}
/** A slice read from the store or received from a peer does not match its hash. */
export class SliceVerificationError extends defineError('SliceVerificationError') {}
/** A slice is not in the local store. */
export class SliceNotFoundError extends defineError('SliceNotFoundError') {}
/** No provider could deliver a slice (all failed, were too slow, or served bad data). */
export class NoProviderError extends defineError('NoProviderError') {}
/** The file's manifest could not be found (neither locally nor from the meta service). */
export class ManifestNotFoundError extends defineError('ManifestNotFoundError') {}
/** The node was stopped, or the worker died. */
export class NodeStoppedError extends defineError('NodeStoppedError') {}
/** The error of any call on a node that was stopped. */
export function nodeStopped(): NodeStoppedError {
  return new NodeStoppedError('The light node was stopped', 'Create a new one')
}
/**
 * The node's worker ended, crashed or stopped answering while the node was running: every call still
 * waiting rejects with it and the page's peer connections are closed. Create a new node.
 */
export class WorkerLostError extends defineError('WorkerLostError') {}
/**
 * The tab that runs the origin's light node stopped answering (its page hung): this tab's calls to it
 * reject with it. Call again: the call waits for the next node the origin's tabs run.
 */
export class LeaderLostError extends defineError('LeaderLostError') {}
/** No placed resource node stored every slice of an upload; nothing was published. */
export class UploadFailedError extends defineError('UploadFailedError') {}
/** The file's size changed while it was being uploaded (a File edited on disk). */
export class FileChangedError extends defineError('FileChangedError') {}
/** Slice digests computed beforehand do not match the file's slice count. */
export class SliceDigestCountError extends defineError('SliceDigestCountError') {}
/** `claim()` found no settled epoch with an unclaimed reward for this node. */
export class NothingToClaimError extends defineError('NothingToClaimError') {}
/** `traffic()` or `claim()` on a node without a network id, a meta service or (for node-key claims) `polygonRpc`. */
export class TrafficUnavailableError extends defineError('TrafficUnavailableError') {}
/** A claim transaction reverted or was not mined in time; epochs claimed before it stay claimed. */
export class ClaimFailedError extends defineError('ClaimFailedError') {}
/** The wallet given to `claim()` cannot send transactions (it only signs typed data). */
export class ClaimSignerError extends defineError('ClaimSignerError') {}
/**
 * The meta service refused to bind this node to the wallet (`bindOwner`): the message names its reason
 * (`forged`, `wrong-network`, `too-many-owners`, …). Nothing was remembered.
 */
export class OwnerBindingRefusedError extends defineError('OwnerBindingRefusedError') {}
/** The worker or its libp2p node failed to start. */
export class NodeStartError extends defineError('NodeStartError') {}
/** The light node's wire protocol received a malformed message or an oversized frame. */
export class ProtocolViolationError extends defineError('ProtocolViolationError') {}
/**
 * The owner's wallet refused to sign (the user rejected the request: EIP-1193 code 4001). The upload
 * published nothing and dropped its slices from this node.
 */
export class SignatureRejectedError extends defineError('SignatureRejectedError') {}
/** The owner's wallet could not sign (locked, no account, method not supported); nothing was published. */
export class SigningFailedError extends defineError('SigningFailedError') {}

/** EIP-1193's "user rejected the request" code; ethers v6 wraps it as `ACTION_REJECTED`. */
const USER_REJECTED = 4001

/**
 * The typed error for a wallet's failure to sign: {@link SignatureRejectedError} when the user refused,
 * else {@link SigningFailedError}. Errors already typed pass through unchanged.
 */
export function signingError(err: unknown): Error {
  const e = err as { name?: string; code?: unknown; message?: string; info?: { error?: { code?: unknown } } }
  if (e?.name === 'SignatureRejectedError' || e?.name === 'SigningFailedError') return err as Error
  const code = e?.code ?? e?.info?.error?.code
  const reason = e?.message ?? String(err)
  if (code === USER_REJECTED || code === 'ACTION_REJECTED')
    return new SignatureRejectedError(
      `The wallet refused to sign the upload (${reason})`,
      'Approve the signature request in the wallet to publish the file',
      { cause: err },
    )
  return new SigningFailedError(
    `The wallet could not sign the upload (${reason})`,
    'Check that the wallet is unlocked and its account selected, then upload again',
    { cause: err },
  )
}

/** Rebuilds a typed error from its plain `{ name, message }` (as it crosses the worker boundary). */
export function errorFromPlain(plain: { name?: string; message?: string }): Error {
  const err = new StratosEdgeError(plain.message ?? 'Unknown error')
  // Data fields the leader sent along (e.g. `owner`, `shortfallBytes`), then the name.
  for (const [k, v] of Object.entries(plain)) {
    if (k !== 'message' && k !== 'stack' && ['string', 'number', 'bigint', 'boolean'].includes(typeof v))
      Object.defineProperty(err, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  err.name = plain.name ?? 'Error'
  return err
}
