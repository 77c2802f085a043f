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
/** The worker or its libp2p node failed to start. */
export class NodeStartError extends defineError('NodeStartError') {}
/** The light node's wire protocol received a malformed message or an oversized frame. */
export class ProtocolViolationError extends defineError('ProtocolViolationError') {}

/** Rebuilds a typed error from its plain `{ name, message }` (as it crosses the worker boundary). */
export function errorFromPlain(plain: { name?: string; message?: string }): Error {
  const err = new StratosEdgeError(plain.message ?? 'Unknown error')
  err.name = plain.name ?? 'Error'
  return err
}
