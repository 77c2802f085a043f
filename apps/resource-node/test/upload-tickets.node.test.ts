import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  decodeTicket,
  encodeTicket,
  encodeTicketRequest,
  issueTicket,
  type KeyPair,
  privateKeySigner,
  signTicketRequest,
  type Ticket,
  toHex,
} from '@stratos-edge/core'
import {
  commitStagedUpload,
  createIndexClient,
  type IndexClient,
  newUploadId,
  pushSlice,
  SLICE_UPLOAD_PATH,
  SliceUploadHeader,
  sliceUploadHeaders,
  stageSlice,
  uploadSlice,
} from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResourceNode } from '../src/index.js'
import { loadOrCreateMetaKey } from '../src/node/meta-key.js'
import { createClient, makeFile, owner, stranger, type TestFile, until } from './helpers.js'
import { caught } from './support/caught.js'
import { startTempNode } from './support/temp-node.js'

const NETWORK = 31337
const SLICE = 256 * 1024

describe('upload tickets: every write path of a resource node needs one', () => {
  let meta: ResourceNode
  let client: Libp2p
  let index: IndexClient
  let metaKey: KeyPair
  let fileA: TestFile
  let fileB: TestFile
  const cleanups: Array<() => Promise<void>> = []

  /** A ticket from the meta service, asked for over the index protocol with an owner-signed request. */
  const ticketFor = async (bytes: number, signer: KeyPair = owner): Promise<Ticket> => {
    const request = await signTicketRequest(
      { network: NETWORK, bytes: BigInt(bytes) },
      privateKeySigner(signer.privateKey),
    )
    return decodeTicket(await index.requestTicket(encodeTicketRequest(request)))
  }
  const hex = (t: Ticket): string => toHex(encodeTicket(t))
  /** A ticket signed by `key` directly (expired, other network, forged). */
  const made = (key: KeyPair, over: { expiresAt?: number; network?: number } = {}): Ticket =>
    issueTicket(
      {
        kind: 'upload',
        network: over.network ?? NETWORK,
        owner: owner.address,
        holder: owner.address,
        bytesAllowed: 1n << 30n,
        expiresAt: over.expiresAt ?? Math.floor(Date.now() / 1000) + 600,
      },
      key,
    )

  beforeAll(async () => {
    const d = await startTempNode('tickets-meta', {
      meta: true,
      tickets: { network: NETWORK, freeOzone: 4n * 1024n * 1024n },
    })
    cleanups.push(d.cleanup)
    meta = d.node
    metaKey = await loadOrCreateMetaKey(d.dir)
    expect(meta.readyInfo().ticketIssuer).toBe(metaKey.evmAddress)
    client = await createClient()
    index = createIndexClient(client, multiaddr(meta.readyInfo().wsMultiaddrs[0] as string))
    fileA = await makeFile(2 * SLICE, SLICE)
    fileB = await makeFile(2 * SLICE, SLICE)
    await until(() => meta.metaService?.stats().resource === 1)
  })

  afterAll(async () => {
    await client?.stop()
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  it('a ticket pays for the slices of one file, over HTTP and for its manifest', async () => {
    const ticket = await ticketFor(2 * SLICE)
    expect(ticket.owner).toBe(owner.evmAddress)
    expect(ticket.fileHash).toBeUndefined()
    for (const slice of fileA.slices) {
      expect((await uploadSlice(meta.gatewayUrl, slice, { ticket: hex(ticket) })).stored).toBe('new')
    }
    await expect(index.putManifest(fileA.manifestBytes, { ticket: encodeTicket(ticket) })).resolves.toBe(
      fileA.manifest.fileHash,
    )
  })

  it('no ticket: 402 TicketRequiredError before the body, nothing stored', async () => {
    const slice = fileB.slices[0]!
    const res = await fetch(`${meta.gatewayUrl}${SLICE_UPLOAD_PATH}`, {
      method: 'POST',
      headers: sliceUploadHeaders(slice),
      body: slice.data as BodyInit,
    })
    expect(res.status).toBe(402)
    const body = (await res.json()) as { error: { name: string; message: string } }
    expect(body.error.name).toBe('TicketRequiredError')
    expect(body.error.message).toContain(`${SLICE} bytes`)
    expect(await meta.store.has(slice.hash)).toBe(false)
    // The typed error survives to the client.
    expect((await caught(uploadSlice(meta.gatewayUrl, slice))).name).toBe('TicketRequiredError')
    // Staging and committing without one are refused the same way.
    const id = newUploadId()
    expect(
      (await caught(stageSlice(meta.gatewayUrl, { uploadId: id, number: 1, data: slice.data }))).name,
    ).toBe('TicketRequiredError')
    const commit = { fileHash: slice.fileHash, slices: [{ number: 1, hash: slice.hash }], forward: [] }
    expect((await caught(commitStagedUpload(meta.gatewayUrl, id, commit))).name).toBe('TicketRequiredError')
    // And so is a manifest put.
    expect((await caught(index.putManifest(fileB.manifestBytes))).name).toBe('TicketRequiredError')
    expect(await meta.store.has(slice.hash)).toBe(false)
  })

  it('a ticket already bound to another file: 403 TicketBoundError', async () => {
    const ticket = await ticketFor(4 * SLICE)
    await uploadSlice(meta.gatewayUrl, fileA.slices[0]!, { ticket: hex(ticket) }) // binds it to file A
    const res = await fetch(`${meta.gatewayUrl}${SLICE_UPLOAD_PATH}`, {
      method: 'POST',
      headers: { ...sliceUploadHeaders(fileB.slices[0]!), [SliceUploadHeader.TICKET]: hex(ticket) },
      body: fileB.slices[0]!.data as BodyInit,
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { name: string } }).error.name).toBe('TicketBoundError')
    expect(await meta.store.has(fileB.slices[0]!.hash)).toBe(false)
    // A commit of file B under it, and file B's manifest, are refused too.
    const id = newUploadId()
    await stageSlice(
      meta.gatewayUrl,
      { uploadId: id, number: 1, data: fileB.slices[0]!.data },
      { ticket: hex(ticket) },
    )
    const commit = {
      fileHash: fileB.manifest.fileHash,
      slices: [{ number: 1, hash: fileB.slices[0]!.hash }],
      forward: [],
    }
    expect(
      (await caught(commitStagedUpload(meta.gatewayUrl, id, commit, { ticket: hex(ticket) }))).name,
    ).toBe('TicketBoundError')
    expect(
      (await caught(index.putManifest(fileB.manifestBytes, { ticket: encodeTicket(ticket) }))).name,
    ).toBe('TicketBoundError')
    expect(await meta.store.has(fileB.slices[0]!.hash)).toBe(false)
  })

  it('more bytes than the ticket allows: 402 InsufficientOzoneError naming the owner and shortfall', async () => {
    const ticket = await ticketFor(SLICE)
    await uploadSlice(meta.gatewayUrl, fileB.slices[0]!, { ticket: hex(ticket) })
    const err = await caught(uploadSlice(meta.gatewayUrl, fileB.slices[1]!, { ticket: hex(ticket) }))
    expect(err.name).toBe('InsufficientOzoneError')
    expect(err.message).toContain(owner.evmAddress)
    expect(err.message).toContain(`${SLICE} short`)
    expect(await meta.store.has(fileB.slices[1]!.hash)).toBe(false)
  })

  it('expired, other-network and forged tickets: 403 with their own errors, nothing stored', async () => {
    const slice = fileB.slices[1]!
    const cases: [Ticket, string][] = [
      [made(metaKey, { expiresAt: Math.floor(Date.now() / 1000) - 1 }), 'TicketExpiredError'],
      [made(metaKey, { network: 137 }), 'WrongNetworkError'],
      [made(stranger), 'InvalidTicketError'],
    ]
    for (const [ticket, name] of cases) {
      const res = await fetch(`${meta.gatewayUrl}${SLICE_UPLOAD_PATH}`, {
        method: 'POST',
        headers: { ...sliceUploadHeaders(slice), [SliceUploadHeader.TICKET]: hex(ticket) },
        body: slice.data as BodyInit,
      })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: { name: string } }).error.name).toBe(name)
      expect(
        (
          await caught(
            stageSlice(
              meta.gatewayUrl,
              { uploadId: newUploadId(), number: 1, data: slice.data },
              { ticket: hex(ticket) },
            ),
          )
        ).name,
      ).toBe(name)
    }
    expect(await meta.store.has(slice.hash)).toBe(false)
  })

  it('the meta service reserves ozone once per request and refuses an owner short of it', async () => {
    const request = await signTicketRequest(
      { network: NETWORK, bytes: 1024n },
      privateKeySigner(stranger.privateKey),
    )
    const first = decodeTicket(await index.requestTicket(encodeTicketRequest(request)))
    const again = decodeTicket(await index.requestTicket(encodeTicketRequest(request)))
    expect(again.id).toBe(first.id) // a replay spends nothing more
    const err = await caught(ticketFor(8 * 1024 * 1024, stranger))
    expect(err.name).toBe('InsufficientOzoneError')
    expect(err.message).toContain(stranger.evmAddress)
    expect(err.message).toMatch(/\d+ short/)
    // A request for another network is refused.
    const other = await signTicketRequest({ network: 137, bytes: 1n }, privateKeySigner(owner.privateKey))
    expect((await caught(index.requestTicket(encodeTicketRequest(other)))).name).toBe('WrongNetworkError')
  })

  it('over libp2p push: no ticket, bound, used up, expired, other network, forged are refused before the data', async () => {
    const file = await makeFile(3 * SLICE, SLICE)
    const other = await makeFile(SLICE, SLICE)
    const [s1, s2, s3] = file.slices as [never, never, never]
    const push = (slice: (typeof file.slices)[number], ticket?: Ticket) =>
      pushSlice(client, meta.peerId, slice, ticket ? { ticket: encodeTicket(ticket) } : {})
    const paid = await ticketFor(2 * SLICE)
    await push(s1, paid) // binds the ticket to this file and counts one slice
    expect(await meta.store.has(file.slices[0]!.hash)).toBe(true)
    const cases: [Promise<unknown>, string][] = [
      [push(s2), 'TicketRequiredError'],
      [push(other.slices[0]!, paid), 'TicketBoundError'],
      [push(s2, made(metaKey, { expiresAt: Math.floor(Date.now() / 1000) - 1 })), 'TicketExpiredError'],
      [push(s2, made(metaKey, { network: 137 })), 'WrongNetworkError'],
      [push(s2, made(stranger)), 'InvalidTicketError'],
    ]
    for (const [p, name] of cases) expect((await caught(p)).name).toBe(name)
    await push(s2, paid)
    expect((await caught(push(s3, paid))).name).toBe('InsufficientOzoneError')
    expect(await meta.store.has(file.slices[2]!.hash)).toBe(false)
    expect(await meta.store.has(other.slices[0]!.hash)).toBe(false)
  })
})
