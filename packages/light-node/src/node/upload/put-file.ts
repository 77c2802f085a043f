/**
 * An upload: hash the file, cut and store its slices (owned), send each slice once to the first placed
 * resource node (staged on the home node while the file is still hashed), sign and publish the manifest.
 * A put that fails leaves nothing owned behind (see rollback.ts). Slices the first node holds already
 * (an earlier upload of the file cut short) are not sent again (resume-point.ts, resume-journal.ts).
 */
import type { Libp2p } from '@libp2p/interface'
import {
  AbortedError,
  CODEC_SDS,
  createManifest,
  DEFAULT_SLICE_SIZE,
  formatSdmUri,
  hashFile,
  type KeyPair,
  privateKeySigner,
  type SlicedFile,
  type SliceHash,
  sliceHashFromInnerDigest,
  type TypedDataSigner,
  toHex,
  toStratosAddress,
} from '@stratos-edge/core'
import { newUploadId } from '@stratos-edge/protocol'
import type { LightNodeOptions, PutProgress, PutRequest, PutResult } from '../../api-types.js'
import { FileChangedError, NodeStartError, UploadFailedError } from '../../errors.js'
import type { IdbSliceStore } from '../../store/idb-slice-store.js'
import type { NetworkIndex } from '../network-index.js'
import { hashBlobForUpload, type SliceDigester } from '../slice-digests.js'
import { untilAborted } from '../until-aborted.js'
import { cutSlices } from './cut-slices.js'
import { findHeldSlices } from './held-slices.js'
import { inlineSliceDigests } from './inline-slice-digests.js'
import { signOwnedManifest } from './owner-signature.js'
import { PlacedUpload } from './placed-upload.js'
import { DEFAULT_REPLICAS, gatewayUrlOf, placeFile, withHomeFirst } from './placement.js'
import { createResumeJournal } from './resume-journal.js'
import { findResumePoint } from './resume-point.js'
import { dropUnfinished, roomFor, type UnfinishedPut } from './rollback.js'
import { SliceStager } from './slice-stager.js'
import { forwardList } from './slice-uploader.js'
import { requestUploadTicket } from './upload-ticket.js'

/** Options of {@link createUploader}: the node's upload settings. */
export type UploaderInit = Pick<
  LightNodeOptions,
  'resourceNodes' | 'sliceSize' | 'replicas' | 'gatewayUrl' | 'network'
>

/** Edges of {@link createUploader}. */
export interface UploaderComponents {
  store: IdbSliceStore
  /** Reaches placed resource nodes over libp2p (not touched when every target is reached over HTTP). */
  libp2p: Libp2p
  index?: NetworkIndex | undefined
  /** The default owner key (signs when `put` is given no signer). */
  owner: KeyPair
  digester: SliceDigester
}

/** Options of {@link Uploader.put}. */
export interface UploadOptions extends PutRequest {
  /** Signs for the owner (the page's wallet, asked across comlink); default the node's own key. */
  signer?: TypedDataSigner | undefined
}

/** Uploads files. */
export interface Uploader {
  put(
    input: Blob | Uint8Array,
    options: UploadOptions,
    signal: AbortSignal,
    onProgress?: (p: PutProgress) => void,
  ): Promise<PutResult>
}

/**
 * Creates the node's uploader.
 *
 * @example
 * ```ts
 * const uploader = createUploader({ resourceNodes: [], replicas: 0 }, { store, libp2p, owner, digester })
 * const { uri } = await uploader.put(bytes, { name: 'a.txt' }, AbortSignal.timeout(60_000))
 * ```
 */
export function createUploader(init: UploaderInit, components: UploaderComponents): Uploader {
  const { store } = components
  const journal = createResumeJournal({ settings: store })
  return {
    async put(input, options, callerSignal, onProgress) {
      // Aborted by the caller's signal, and from inside: a quota error stops hashing, a failure stops sends.
      const controller = new AbortController()
      const onCallerAbort = () => controller.abort(callerSignal.reason)
      if (callerSignal.aborted) onCallerAbort()
      else callerSignal.addEventListener('abort', onCallerAbort, { once: true })
      const signal = controller.signal
      const total = input instanceof Blob ? input.size : input.byteLength
      // What the first node held already (known once the file is hashed), and what this put sent since.
      let held: Pick<PutProgress, 'slices' | 'heldSlices' | 'heldBytes'> | undefined
      let sentBytes = 0
      const progress = (phase: PutProgress['phase'], bytes: number) =>
        onProgress &&
        void Promise.resolve(
          onProgress({ phase, bytes, totalBytes: total, ...(held ? { ...held, sentBytes } : {}) }),
        ).catch(() => {})
      // The file this put writes owned slices of, and the slices it held whole before (if it did).
      let written: UnfinishedPut | undefined
      // The owner's refusal to sign, which stops the sends still on their way: what the put fails with.
      let signFailure: unknown
      // The meta service's refusal of a ticket (asked for while the file is hashed): likewise.
      let ticketFailure: unknown
      try {
        // Quota exhaustion is detected before anything is written (checked while the file is hashed).
        const roomError = roomFor(store, total, () => controller.abort())
        if (!options.signer && !components.owner)
          throw new NodeStartError('No owner key', 'Start the node first')
        const signer = options.signer ?? privateKeySigner(components.owner.privateKey)
        const owner = toStratosAddress(signer.address)
        // The ticket is asked for now and arrives while the file is hashed; no byte is staged or sent
        // before it is held. A refusal (an owner short of ozone) stops the hashing pass at once.
        const ticketing =
          init.network !== undefined
            ? requestUploadTicket(init.network, total, signer, components.index)
            : Promise.resolve(undefined)
        ticketing.catch((err: unknown) => {
          ticketFailure = err
          controller.abort(err)
        })
        const sliceSize = init.sliceSize
        // Pass 1: the file hash (slice hashes depend on it), so pass 2 can store and push each slice at once.
        // A Blob is read once: each chunk goes into the file hash here and, on another core, into its
        // slice's digest (see slice-digests.ts).
        progress('hashing', 0)
        const hashing =
          input instanceof Blob
            ? hashBlobForUpload(input, sliceSize ?? DEFAULT_SLICE_SIZE, components.digester, signal)
            : hashFile(input, { signal }).then(({ fileHash }) => ({ fileHash, digests: undefined }))
        hashing.catch(() => {}) // awaited below
        // A file whose upload was cut short here is hashed before anything is sent (no staging), so that
        // only the slices the network lacks go. Remembered in the store: a reload or a closed tab keeps it.
        const earlier =
          input instanceof Blob ? await journal.interrupted(input).catch(() => undefined) : undefined
        const resuming = earlier !== undefined
        // Meanwhile the first slices already go to the home node, staged until their hashes are known,
        // once the ticket is held and the upload is remembered (with the staged upload to commit if this
        // attempt is cut short).
        const home = init.gatewayUrl
        const copies = init.replicas ?? DEFAULT_REPLICAS
        const staging = home && input instanceof Blob && copies > 0 && !resuming
        const uploadId = newUploadId()
        const begun = ticketing.then(async (t) => {
          const hex = t ? toHex(t) : undefined
          if (input instanceof Blob) {
            const stagedAs = staging ? { uploadId, ...(hex ? { ticket: hex } : {}) } : undefined
            await journal.begin(input, stagedAs).catch(() => {})
          }
          return hex
        })
        begun.catch(() => {}) // a refusal is reported through ticketing
        const stager = staging
          ? new SliceStager(home, input, sliceSize ?? DEFAULT_SLICE_SIZE, signal, undefined, begun, uploadId)
          : undefined
        // A quota or ticket failure aborts hashing; report it, not the abort.
        const hashed = await hashing.catch(async (err: unknown) => {
          await stager?.stop()
          throw (await roomError) ?? ticketFailure ?? err
        })
        const fileHash = hashed.fileHash
        // Nothing is sent before the ticket (it has usually arrived while the file was hashed).
        const ticket = await ticketing
        await begun
        // A resumed upload needs every slice hash before it sends, and staged slices need theirs to be
        // committed (else they are sent again and counted twice against the ticket): computed here when
        // no helper did.
        const sliceDigests =
          hashed.digests ??
          ((resuming || (await stager?.stop())) && input instanceof Blob
            ? await inlineSliceDigests(input, sliceSize ?? DEFAULT_SLICE_SIZE, signal)
            : undefined)
        // A file already stored whole keeps its complete record (and manifest) while it is uploaded again:
        // a `writing` record would have its owned slices discarded at the next open if this put fails.
        const previous = await store.getFile(fileHash)
        // (Only this node's own file: a complete record of a file it downloaded is a cache, and is replaced.)
        const own = previous?.state === 'complete' && previous.pinned === 1
        const noRoom = await roomError
        if (noRoom && !own) {
          await stager?.stop()
          throw noRoom
        }
        written = { fileHash, kept: own ? previous.slices : undefined, added: [] }
        const sliceHashes = sliceDigests?.map((d) => sliceHashFromInnerDigest(d, fileHash))
        // Which slices the home node holds already (an earlier attempt cut short), asked for while the
        // placement is: it is the first node when this attempt staged or resumes there.
        const heldAtHome =
          sliceHashes && home && (stager || resuming) ? findHeldSlices(home, sliceHashes, signal) : undefined
        // At once: what the home node holds, where the file goes, and the file's record (slices of a file
        // still `writing` are discarded after a crash).
        const [placement] = await Promise.all([
          placeFile(fileHash, total, init, components.index),
          written.kept
            ? undefined
            : store.putFile({
                fileHash,
                size: total,
                sliceSize: sliceSize ?? 0,
                slices: [],
                state: 'writing',
                pinned: 1,
                updatedAt: Date.now(),
              }),
        ])
        // Staging ran on while the placement was asked for. It stops taking slices now; those on their way
        // land while the rest are sent (no drain). The home node's peer id is known from its first answer.
        const claimed = stager?.handOff() ?? []
        const homePeer = stager && (stager.homePeerId ?? (await stager.stop())?.peerId)
        // One upload per file: the first node stores each slice and copies it on to the others. With a
        // staged upload the first node is the home node that holds the staged slices.
        let targets = homePeer ? withHomeFirst(placement, homePeer, home as string, copies) : placement
        // Sent by the stager (the home node answered it, so it holds them or they fail and go again).
        const committing = new Set(homePeer ? claimed : [])
        // Which slices the first node holds already (an earlier attempt cut short): not sent again.
        let skip = new Set<number>()
        if (sliceHashes) {
          const point = await findResumePoint({
            fileHash,
            sliceHashes,
            targets,
            placement,
            home,
            copies,
            earlier,
            staged: [...committing],
            heldAtHome,
            signal,
          })
          targets = point.targets
          skip = point.skip
          const chunk = sliceSize ?? DEFAULT_SLICE_SIZE
          let heldBytes = 0
          for (const n of skip) heldBytes += Math.min(chunk, total - (n - 1) * chunk)
          held = { slices: sliceHashes.length, heldSlices: skip.size, heldBytes }
        }
        const upload = new PlacedUpload(components.libp2p, targets, signal, ticket)
        if (targets[0] && skip.size > 0) upload.markAcked(targets[0].peerId, [...skip])
        const commit =
          stager && homePeer && sliceDigests && targets[0]
            ? stager.commit(
                fileHash,
                (n) => sliceHashFromInnerDigest(sliceDigests[n - 1] as Uint8Array, fileHash),
                forwardList(targets.slice(1)),
              )
            : undefined
        const layout: { number: number; size: number; hash: SliceHash }[] = []
        const gen = cutSlices(input, fileHash, {
          signal,
          ...(sliceSize ? { sliceSize } : {}),
          ...(sliceDigests ? { digests: sliceDigests } : {}),
        })
        let stored = 0
        let size = 0
        for (;;) {
          const step = await gen.next()
          if (step.done) {
            size = step.value
            break
          }
          const piece = step.value
          const hash = piece.hash
          layout.push({ number: piece.number, size: piece.size, hash })
          written.added.push(hash)
          await store.put({ hash, fileHash, number: piece.number, data: piece.data, pinned: true })
          // Backpressure: waits while UPLOADS_IN_FLIGHT slices are unacknowledged (bounded memory).
          if (targets.length > 0 && !committing.has(piece.number) && !skip.has(piece.number))
            await upload.send({ hash, fileHash, number: piece.number, data: piece.data })
          if (!skip.has(piece.number)) sentBytes += piece.size
          stored += piece.size
          progress('storing', stored)
        }
        if (size !== total) {
          throw new FileChangedError(
            `The file changed while it was being uploaded (${total} bytes, then ${size})`,
            'Upload it again once it is no longer being written',
          )
        }
        const sliced: SlicedFile = {
          fileHash,
          size,
          sliceSize: sliceSize ?? DEFAULT_SLICE_SIZE,
          codec: CODEC_SDS,
          slices: layout.map((l) => ({ ...l, offset: (l.number - 1) * (sliceSize ?? DEFAULT_SLICE_SIZE) })),
        }
        await store.flush()
        progress('pushing', stored)
        // The signed manifest and the file's layout do not depend on the upload: done while it finishes. A
        // wallet that refuses stops the sends at once.
        const signing = signOwnedManifest(
          signer,
          createManifest({
            sliced,
            owner,
            ...(options.name ? { name: options.name } : {}),
            ...(options.mimeType ? { mimeType: options.mimeType } : {}),
          }),
        )
        signing.catch((err: unknown) => {
          signFailure = err
          controller.abort(err)
        })
        const recorded = written.kept
          ? Promise.resolve()
          : store.putFile({
              fileHash,
              size: total,
              sliceSize: sliced.sliceSize,
              slices: layout,
              state: 'writing',
              pinned: 1,
              updatedAt: Date.now(),
            })
        recorded.catch(() => {})
        // Staged slices the home node stored count as sent there; the rest are sent again below.
        const committed = await commit
        if (committed && targets[0]) upload.markAcked(targets[0].peerId, committed)
        const byNumber = new Map(layout.map((l) => [l.number, l.hash]))
        const uploaded = await upload.finish(
          layout.map((l) => l.number),
          // A resend after a failover reads the slice back from the local store (verified on read).
          async (number) => {
            const hash = byNumber.get(number) as SliceHash
            return { hash, fileHash, number, data: await store.get(hash) }
          },
        )
        await recorded
        // A wallet that never answers (the user walked away) does not hold a put its caller aborted.
        const encoded = await untilAborted(signing, signal).catch((err: unknown) => {
          if (signFailure === undefined && signal.aborted)
            throw new AbortedError('Upload aborted', 'Start it again', { cause: signal.reason })
          throw err
        })
        // The outcome first: an aborted or failed upload publishes nothing (and its slices are dropped).
        if (signal.aborted)
          throw new AbortedError('Upload aborted', 'Start it again', { cause: signal.reason })
        const { replicas, forwardedTo } = uploaded
        if (targets.length > 0 && replicas.length === 0) {
          const reason =
            uploaded.error === undefined
              ? ''
              : ` (${String((uploaded.error as Error)?.message ?? uploaded.error)})`
          throw new UploadFailedError(
            `No resource node stored the file${reason}`,
            'Check that a resource node is reachable and upload again',
            { cause: uploaded.error },
          )
        }
        await store.completeFile(fileHash, encoded)
        const index = components.index
        if (index) {
          await Promise.all([
            index.putManifest(encoded, ticket).catch(() => {}),
            index.announce(layout.map((s) => s.hash)).catch(() => {}),
          ])
        }
        if (input instanceof Blob) await journal.end(input).catch(() => {})
        progress('done', stored)
        const gatewayBase = placement.find((p) => replicas.includes(p.peerId))
        const uri = formatSdmUri(owner, fileHash)
        return {
          fileHash,
          uri,
          owner,
          size: total,
          slices: layout.length,
          replicas,
          forwardedTo,
          ...(gatewayBase ? { gatewayUrl: gatewayUrlOf(gatewayBase, uri, init.gatewayUrl) } : {}),
        }
      } catch (err) {
        // Owned slices are never evicted: those of an upload that did not finish would fill the budget for
        // good. Sends still on their way stop first (they read slices back from the store).
        controller.abort(err)
        if (written) await dropUnfinished(store, written).catch(() => {})
        throw signFailure ?? err
      } finally {
        callerSignal.removeEventListener('abort', onCallerAbort)
        // Whatever is still on its way (uploads after a failure, a staged send) stops with the call.
        controller.abort(new Error('put finished'))
      }
    },
  }
}
