// Worker thread of the worker receipt verifier: checks downloader signatures of a batch of encoded
// receipts and answers with one byte per receipt (1: signed by its downloader).
import { parentPort } from 'node:worker_threads'
import { decodeReceipt, decodeTicket, RECEIPT_BYTES } from '@stratos-edge/core'
import { receiptSignatureValid, ticketSignatureValid } from './receipt-rules.js'

parentPort?.on(
  'message',
  (msg: { id: number; receipts?: Uint8Array; tickets?: Uint8Array[]; issuers?: string[] }) => {
    if (msg.tickets) {
      const valid = new Uint8Array(msg.tickets.length)
      msg.tickets.forEach((bytes, i) => {
        try {
          valid[i] = ticketSignatureValid(decodeTicket(bytes), msg.issuers ?? []) ? 1 : 0
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
        valid[i] = receiptSignatureValid(r) ? 1 : 0
      } catch {
        valid[i] = 0
      }
    }
    parentPort?.postMessage({ id: msg.id, valid }, [valid.buffer])
  },
)
