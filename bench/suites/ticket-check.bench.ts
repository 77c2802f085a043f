// Upload tickets on the upload path: tickets a resource node checks per second (a ticket's first
// admission, with its ECDSA recovery, and the per-slice admission of a ticket already checked), against
// bare ECDSA recovery in the same run; and HTTP slice upload throughput to a resource node with tickets
// on against the same node with tickets off, interleaved in one sitting.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  encodeTicket,
  hashTypedData,
  issueTicket,
  keyPairFromPrivateKey,
  recoverAddress,
  ticketTypedData,
  toHex,
} from '@stratos-edge/core'
import { type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import {
  createLogger,
  createResourceNode,
  createTicketGate,
  loadOrCreateMetaKey,
} from '@stratos-edge/resource-node'
import { randomBytes } from '../random-bytes.js'
import { median, writeResults } from '../results.js'
import { sliceRecords } from '../slice-records.js'

const NETWORK = 31337
const MiB = 1024 * 1024
const meta = keyPairFromPrivateKey(new Uint8Array(32).fill(3))
const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(4))
const now = () => Math.floor(Date.now() / 1000)

const ticketOf = (key = meta, bytesAllowed = 1n << 40n) =>
  issueTicket(
    {
      kind: 'upload',
      network: NETWORK,
      owner: owner.address,
      holder: owner.address,
      bytesAllowed,
      expiresAt: now() + 3600,
    },
    key,
  )

function perSecond(count: number, ms: number): number {
  return Math.round((count * 1000) / ms)
}

function checks(): Record<string, number> {
  const firstN = 500
  const repeatN = 20_000
  const tickets = Array.from({ length: firstN }, () => ticketOf())
  const encoded = tickets.map((t) => toHex(encodeTicket(t)))
  const recover: number[] = []
  const first: number[] = []
  const repeat: number[] = []
  for (let run = 0; run < 5; run++) {
    let t = performance.now()
    for (const tk of tickets) recoverAddress(hashTypedData(ticketTypedData(tk)), tk.signature)
    recover.push(perSecond(firstN, performance.now() - t))

    const gate = createTicketGate({ issuers: [meta.address], network: NETWORK })
    t = performance.now()
    for (const e of encoded) gate.admit(e, { bytes: MiB })
    first.push(perSecond(firstN, performance.now() - t))

    const one = encoded[0] as string
    t = performance.now()
    for (let i = 0; i < repeatN; i++) gate.admit(one, { bytes: 1 })
    repeat.push(perSecond(repeatN, performance.now() - t))
  }
  return {
    ecdsaRecoverPerSecond: median(recover),
    firstAdmissionPerSecond: median(first),
    repeatAdmissionPerSecond: median(repeat),
    firstVsRecover: Number((median(first) / median(recover)).toFixed(3)),
  }
}

async function uploads(): Promise<Record<string, unknown>> {
  const SIZE = 32 * MiB
  const SLICE = MiB
  const REPS = 5
  const logger = createLogger({ level: 'error' })
  const on: number[] = []
  const off: number[] = []
  for (let rep = 0; rep < REPS; rep++) {
    const bytes = randomBytes(SIZE)
    const { slices } = await sliceRecords(bytes, SLICE)
    // Alternate which goes first, so drift over the sitting hits both alike.
    for (const ticketed of rep % 2 === 0 ? [true, false] : [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'stratos-bench-ticket-'))
      const node = await createResourceNode(
        {
          dataDir: dir,
          meta: true,
          tcpPort: 0,
          wsPort: 0,
          httpPort: 0,
          ...(ticketed ? { tickets: { network: NETWORK } } : {}),
        },
        { logger },
      )
      await node.start()
      try {
        const key = await loadOrCreateMetaKey(dir)
        const ticket = ticketed ? toHex(encodeTicket(ticketOf(key, BigInt(SIZE)))) : undefined
        const start = performance.now()
        let next = 0
        // Three at a time, as the light node sends.
        const sender = async () => {
          while (next < slices.length)
            await uploadSlice(node.gatewayUrl, slices[next++] as SliceRecord, ticket ? { ticket } : {})
        }
        await Promise.all([sender(), sender(), sender()])
        ;(ticketed ? on : off).push(SIZE / 1e6 / ((performance.now() - start) / 1000))
      } finally {
        await node.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
  return {
    sizeMiB: SIZE / MiB,
    sliceMiB: SLICE / MiB,
    reps: REPS,
    ticketsOnMBps: Number(median(on).toFixed(1)),
    ticketsOffMBps: Number(median(off).toFixed(1)),
    ratio: Number((median(on) / median(off)).toFixed(3)),
    runs: { on: on.map((v) => Number(v.toFixed(1))), off: off.map((v) => Number(v.toFixed(1))) },
  }
}

const results = { checks: checks(), httpUpload: await uploads() }
console.log(JSON.stringify(results, null, 2))
writeResults('ticket-check', results)
