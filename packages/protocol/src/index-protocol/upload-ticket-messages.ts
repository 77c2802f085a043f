import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'

/** The upload ticket request of the index protocol. */
export const UploadTicketIndexOp = {
  /**
   * An upload ticket for an owner-signed request (core's `encodeTicketRequest`); the meta service reserves
   * the owner's ozone and answers core's `encodeTicket` (newer than the others).
   */
  REQUEST_TICKET: 0x29,
} as const

/** Largest encoded ticket or ticket request (both are about 250 bytes). */
export const MAX_TICKET_BYTES = 512

export type UploadTicketIndexRequest = { op: typeof UploadTicketIndexOp.REQUEST_TICKET; request: Uint8Array }
/** The signed ticket (core's `encodeTicket`). */
export type UploadTicketIndexResponse = { op: typeof UploadTicketIndexOp.REQUEST_TICKET; ticket: Uint8Array }

/** Writes the body of a REQUEST_TICKET request. */
export function writeUploadTicketRequest(w: MessageWriter, req: UploadTicketIndexRequest): void {
  w.bytes(req.request)
}

/** Reads the body of a REQUEST_TICKET request. */
export function readUploadTicketRequest(r: MessageReader): UploadTicketIndexRequest {
  return { op: UploadTicketIndexOp.REQUEST_TICKET, request: r.bytes('ticket request', MAX_TICKET_BYTES) }
}

/** Writes the body of a REQUEST_TICKET response. */
export function writeUploadTicketResponse(w: MessageWriter, res: UploadTicketIndexResponse): void {
  w.bytes(res.ticket)
}

/** Reads the body of a REQUEST_TICKET response. */
export function readUploadTicketResponse(r: MessageReader): UploadTicketIndexResponse {
  return { op: UploadTicketIndexOp.REQUEST_TICKET, ticket: r.bytes('ticket', MAX_TICKET_BYTES) }
}
