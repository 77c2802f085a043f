import { computeFileHash, encodeTicket, issueTicket, keyPairFromPrivateKey, toHex } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { createTicketGate } from '../src/index.js'

const meta = keyPairFromPrivateKey(new Uint8Array(32).fill(7))
const forger = keyPairFromPrivateKey(new Uint8Array(32).fill(8))
const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(9))

describe('ticket gate', () => {
  const init = {
    kind: 'upload' as const,
    network: 5,
    owner: owner.address,
    holder: owner.address,
    bytesAllowed: 100n,
    expiresAt: 2_000,
    id: `0x${'ab'.repeat(32)}` as const,
  }

  it('checks a ticket signature once, and never trusts other bytes under a known id', () => {
    let t = 1_000_000
    const gate = createTicketGate({ issuers: [meta.address], network: 5, now: () => t })
    const good = toHex(encodeTicket(issueTicket(init, meta)))
    gate.admit(good, { bytes: 40 })
    gate.admit(good, { bytes: 40 })
    expect(gate.used(init.id)).toBe(80n)
    // Same id, more bytes, signed by another key: checked in full, refused, counts nothing.
    const forged = toHex(encodeTicket(issueTicket({ ...init, bytesAllowed: 10n ** 9n }, forger)))
    expect(() => gate.admit(forged, { bytes: 40 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    expect(gate.used(init.id)).toBe(80n)
    // The known bytes still expire and run out.
    expect(() => gate.admit(good, { bytes: 21 })).toThrow(
      expect.objectContaining({ name: 'InsufficientOzoneError' }),
    )
    t = 2_000_000
    expect(() => gate.admit(good, { bytes: 1 })).toThrow(
      expect.objectContaining({ name: 'TicketExpiredError' }),
    )
  })

  it('a refund gives the bytes back once; garbage is an InvalidTicketError', () => {
    const gate = createTicketGate({ issuers: [meta.address], network: 5, now: () => 1_000_000 })
    const a = gate.admit(toHex(encodeTicket(issueTicket(init, meta))), { bytes: 60 })
    a.refund()
    a.refund()
    expect(gate.used(init.id)).toBe(0n)
    expect(() => gate.admit('0x1234', { bytes: 1 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    expect(() => gate.admit(undefined, { bytes: 1 })).toThrow(
      expect.objectContaining({ name: 'TicketRequiredError' }),
    )
  })

  it("a replica's noted copy binds the ticket to its file: a failover cannot spend it on another", async () => {
    const gate = createTicketGate({ issuers: [meta.address], network: 5, now: () => 1_000_000 })
    const good = toHex(encodeTicket(issueTicket(init, meta)))
    const a = await computeFileHash(new Uint8Array([1]))
    const b = await computeFileHash(new Uint8Array([2]))
    gate.note(good, a)
    expect(gate.used(init.id)).toBe(0n)
    expect(() => gate.admit(good, { bytes: 10, fileHash: b })).toThrow(
      expect.objectContaining({ name: 'TicketBoundError' }),
    )
    gate.admit(good, { bytes: 10, fileHash: a })
    expect(gate.used(init.id)).toBe(10n)
  })

  it('remembers, per file, when the latest ticket admitted for it expires (what eviction spares)', async () => {
    const gate = createTicketGate({ issuers: [meta.address], network: 5, now: () => 1_000_000 })
    const fileHash = await computeFileHash(new Uint8Array(100))
    expect(gate.expiryOf(fileHash)).toBeUndefined()
    gate.admit(toHex(encodeTicket(issueTicket(init, meta))), { bytes: 0 }) // not bound to a file yet
    expect(gate.expiryOf(fileHash)).toBeUndefined()
    gate.admit(toHex(encodeTicket(issueTicket(init, meta))), { bytes: 10, fileHash })
    expect(gate.expiryOf(fileHash)).toBe(2_000_000)
    const later = { ...init, id: `0x${'cd'.repeat(32)}` as const, expiresAt: 3_000 }
    gate.admit(toHex(encodeTicket(issueTicket(later, meta))), { bytes: 10, fileHash })
    expect(gate.expiryOf(fileHash)).toBe(3_000_000)
    // An earlier-expiring ticket admitted afterwards does not shorten it.
    gate.admit(toHex(encodeTicket(issueTicket(init, meta))), { bytes: 10, fileHash })
    expect(gate.expiryOf(fileHash)).toBe(3_000_000)
  })
})
