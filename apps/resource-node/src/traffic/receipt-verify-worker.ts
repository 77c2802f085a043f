// Worker thread of the worker receipt verifier: checks downloader signatures of a batch of encoded
// receipts (or issuer signatures of tickets) and answers with one byte per item (1: valid). Recovery is
// native (libsecp256k1) when its addon loads; `workerData.forceJavaScript` turns that off for tests.
import { parentPort, workerData } from 'node:worker_threads'
import {
  decodeReceipt,
  decodeTicket,
  hashTypedData,
  RECEIPT_BYTES,
  receiptTypedData,
  type Ticket,
  type TrafficReceipt,
  ticketTypedData,
  toEvmAddress,
  toHex,
} from '@stratos-edge/core'
import { createSignerRecovery, type SignerRecovery } from './signer-recovery.js'

const recovery = createSignerRecovery({
  forceJavaScript: (workerData as { forceJavaScript?: boolean } | undefined)?.forceJavaScript === true,
})

/** core's `receiptSignatureValid`, with this thread's recovery. */
function receiptSigned(r: TrafficReceipt, by: SignerRecovery): boolean {
  const signer = by.recover(hashTypedData(receiptTypedData(r)), r.signature)
  return signer !== undefined && toHex(signer) === r.downloader.toLowerCase()
}

/** `ticketSignatureValid`: signed by its issuer, an accepted one (expiry not checked). */
function ticketSigned(t: Ticket, issuers: ReadonlySet<string>, by: SignerRecovery): boolean {
  const signer = by.recover(hashTypedData(ticketTypedData(t)), t.signature)
  if (signer === undefined) return false
  const address = toHex(signer)
  return address === t.issuer.toLowerCase() && issuers.has(address)
}

/** Accepted issuers as lower-case `0x…` (given in any form; an unparsable one accepts nothing). */
function acceptedIssuers(issuers: readonly string[]): Set<string> {
  const out = new Set<string>()
  for (const i of issuers) {
    try {
      out.add(toEvmAddress(i).toLowerCase())
    } catch {}
  }
  return out
}

parentPort?.on(
  'message',
  (msg: {
    id: number
    probe?: boolean
    receipts?: Uint8Array
    tickets?: Uint8Array[]
    issuers?: string[]
  }) => {
    if (msg.probe) {
      parentPort?.postMessage({ id: msg.id, valid: Uint8Array.of(recovery.native ? 1 : 0) })
      return
    }
    if (msg.tickets) {
      const issuers = acceptedIssuers(msg.issuers ?? [])
      const valid = new Uint8Array(msg.tickets.length)
      msg.tickets.forEach((bytes, i) => {
        try {
          valid[i] = ticketSigned(decodeTicket(bytes), issuers, recovery) ? 1 : 0
        } catch {
          valid[i] = 0
        }
      })
      parentPort?.postMessage({ id: msg.id, valid }, [valid.buffer])
      return
    }
    if (!msg.receipts) return
    const count = msg.receipts.length / RECEIPT_BYTES
    const valid = new Uint8Array(count)
    for (let i = 0; i < count; i++) {
      try {
        const r = decodeReceipt(msg.receipts.subarray(i * RECEIPT_BYTES, (i + 1) * RECEIPT_BYTES))
        valid[i] = receiptSigned(r, recovery) ? 1 : 0
      } catch {
        valid[i] = 0
      }
    }
    parentPort?.postMessage({ id: msg.id, valid }, [valid.buffer])
  },
)
