// SUBMIT_SELF_REPORT (0x33): a gateway's signed self-report crosses the index protocol between real
// libp2p nodes; its codec round-trips and refuses garbage; a peer without the hook says so by name.
import type { Libp2p } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createIndexClient,
  decodeIndexRequest,
  decodeIndexResponse,
  encodeIndexRequest,
  encodeIndexResponse,
  type IndexBackend,
  IndexOp,
  indexOpName,
  registerIndexProtocol,
} from '../src/index.js'
import { createTestNode } from './helpers.js'

describe('gateway self-reports over the index protocol', () => {
  let server: Libp2p
  let bare: Libp2p
  let client: Libp2p
  const seen: Uint8Array[] = []

  beforeAll(async () => {
    server = await createTestNode()
    bare = await createTestNode()
    client = await createTestNode()
    const backend: IndexBackend = {
      lookup: async () => new Map(),
      submitSelfReport(report: Uint8Array) {
        seen.push(report)
        return report[0] === 0x7b ? { outcome: 'accepted' } : { outcome: 'rejected', reason: 'forged' }
      },
    } as unknown as IndexBackend
    await registerIndexProtocol(server, { backend })
    await registerIndexProtocol(bare, {
      backend: { lookup: async () => new Map() } as unknown as IndexBackend,
    })
  })
  afterAll(async () => {
    await client?.stop()
    await server?.stop()
    await bare?.stop()
  })

  it('is op 0x33, after the traffic ops', () => {
    expect(IndexOp.SUBMIT_SELF_REPORT).toBe(0x33)
    expect(indexOpName(0x33)).toBe('submit_self_report')
  })

  it('round-trips and refuses garbage', () => {
    const report = new TextEncoder().encode('{"epoch":1}')
    expect(decodeIndexRequest(encodeIndexRequest({ op: IndexOp.SUBMIT_SELF_REPORT, report }))).toEqual({
      op: IndexOp.SUBMIT_SELF_REPORT,
      report,
    })
    for (const result of [{ outcome: 'accepted' }, { outcome: 'rejected', reason: 'late' }] as const) {
      const bytes = encodeIndexResponse({ op: IndexOp.SUBMIT_SELF_REPORT, result })
      expect(decodeIndexResponse(bytes, IndexOp.SUBMIT_SELF_REPORT)).toEqual({
        op: IndexOp.SUBMIT_SELF_REPORT,
        result,
      })
    }
    const bad = encodeIndexResponse({
      op: IndexOp.SUBMIT_SELF_REPORT,
      result: { outcome: 'paid' as 'accepted' },
    })
    expect(() => decodeIndexResponse(bad, IndexOp.SUBMIT_SELF_REPORT)).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    )
  })

  it('reaches the backend and brings back its verdict; a peer without the hook refuses by name', async () => {
    const index = createIndexClient(client, server.getMultiaddrs())
    const good = new TextEncoder().encode('{"epoch":1}')
    expect(await index.submitSelfReport(good)).toEqual({ outcome: 'accepted' })
    expect(await index.submitSelfReport(new Uint8Array([1, 2]))).toEqual({
      outcome: 'rejected',
      reason: 'forged',
    })
    expect(seen.map((b) => Array.from(b))).toEqual([Array.from(good), [1, 2]])
    await expect(
      createIndexClient(client, bare.getMultiaddrs()).submitSelfReport(good),
    ).rejects.toHaveProperty('name', 'UnsupportedOperationError')
  })
})
