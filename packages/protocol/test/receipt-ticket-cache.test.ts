/**
 * A downloader sends its ticket with every batch of receipts: the provider checks the ticket's
 * signature once, not once per batch, and a changed ticket (or issuer list) is checked again.
 */
import * as core from '@stratos-edge/core'
import {
  computeFileHash,
  computeSliceHash,
  encodeReceipt,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  signReceipt,
} from '@stratos-edge/core'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryReceiptHold, createReceiptService } from '../src/index.js'

vi.mock('@stratos-edge/core', async (original) => {
  const actual = await original<typeof core>()
  return { ...actual, verifyTicket: vi.fn(actual.verifyTicket) }
})

const NETWORK = 31337

describe('ticket checks on the provider', () => {
  it('checks a ticket sent with every batch once; a forged copy is still refused', async () => {
    const meta = generateKeyPair()
    const provider = generateKeyPair()
    const downloader = generateKeyPair()
    const fileHash = computeFileHash(new TextEncoder().encode('ticket cache'))
    const ticket = issueTicket(
      {
        kind: 'download',
        network: NETWORK,
        owner: meta.evmAddress,
        holder: downloader.evmAddress,
        fileHash,
        bytesAllowed: 1n << 30n,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      meta,
    )
    const service = createReceiptService({
      network: NETWORK,
      provider: provider.evmAddress,
      issuers: [meta.evmAddress],
      hold: createMemoryReceiptHold(),
    })
    const receipt = (bytes: number, ticketId = ticket.id) =>
      encodeReceipt(
        signReceipt(
          {
            network: NETWORK,
            epoch: 1,
            provider: provider.evmAddress,
            fileHash,
            sliceHash: computeSliceHash(1, new Uint8Array(4), fileHash),
            bytes,
            ticketId,
            nonce: BigInt(bytes),
          },
          downloader,
        ),
      )
    const verifyTicket = vi.mocked(core.verifyTicket)
    verifyTicket.mockClear()
    for (let i = 1; i <= 5; i++) {
      const reply = await service.accept([receipt(i * 1000)], 'peer-a', [encodeTicket(ticket)])
      expect(reply.accepted).toBe(1)
    }
    expect(verifyTicket).toHaveBeenCalledTimes(1)

    // A ticket like it signed by someone else: other bytes, checked, refused.
    const { id: _id, ...fields } = ticket
    const forged = issueTicket({ ...fields, kind: 'download' }, downloader)
    const reply = await service.accept([receipt(9000, forged.id)], 'peer-b', [encodeTicket(forged)])
    expect(reply.rejected.map((r) => r.reason)).toEqual(['unknown-ticket'])
    expect(verifyTicket).toHaveBeenCalledTimes(2)
  })
})
