// Worker thread of the worker receipt verifier: checks downloader signatures of a batch of receipts (or
// issuer signatures of tickets), as core's `verifyReceipt` (`verifyTicket`) would, and answers with one
// byte per item (1: valid). Recovery is native (libsecp256k1) when its addon loads;
// `workerData.forceJavaScript` turns that off (to compare the two).
import { parentPort, workerData } from 'node:worker_threads'
import {
  bytesEqual,
  hashTypedData,
  type Ticket,
  type TrafficReceipt,
  ticketTypedData,
  toEvmAddress,
  toHex,
} from '@stratos-edge/core'
import { createReceiptDigester } from './receipt-digest.js'
import { createSignerRecovery, type SignerRecovery } from './signer-recovery.js'

const digester = await createReceiptDigester()
const recovery = createSignerRecovery({
  forceJavaScript: (workerData as { forceJavaScript?: boolean } | undefined)?.forceJavaScript === true,
  keccak: digester.keccak,
})

/** `receiptSignatureValid`, with this thread's recovery and hashing; throws where core's throws. */
function receiptSigned(r: TrafficReceipt, by: SignerRecovery): boolean {
  const signer = by.recover(digester.digest(r), r.signature)
  return signer !== undefined && bytesEqual(signer, digester.addressBytes(r.downloader))
}

/** `ticketSignatureValid`: signed by its issuer, an accepted one (expiry not checked). */
function ticketSigned(t: Ticket, issuers: ReadonlySet<string>, by: SignerRecovery): boolean {
  const signer = by.recover(hashTypedData(ticketTypedData(t)), t.signature)
  if (signer === undefined) return false
  const address = toHex(signer)
  return address === toEvmAddress(t.issuer).toLowerCase() && issuers.has(address)
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
    receipts?: TrafficReceipt[]
    tickets?: Ticket[]
    issuers?: string[]
  }) => {
    if (msg.probe) {
      parentPort?.postMessage({ id: msg.id, valid: Uint8Array.of(recovery.native ? 1 : 0) })
      return
    }
    const issuers = acceptedIssuers(msg.issuers ?? [])
    const items: (TrafficReceipt | Ticket)[] = msg.tickets ?? msg.receipts ?? []
    const valid = new Uint8Array(items.length)
    items.forEach((item, i) => {
      try {
        const ok = msg.tickets
          ? ticketSigned(item as Ticket, issuers, recovery)
          : receiptSigned(item as TrafficReceipt, recovery)
        valid[i] = ok ? 1 : 0
      } catch {
        valid[i] = 0
      }
    })
    parentPort?.postMessage({ id: msg.id, valid }, [valid.buffer])
  },
)
