// Shared pieces of the traffic settlement tests: keys, tickets, cumulative receipts, and the edges a
// settlement talks to (ticket book, ozone charger, market) as small in-memory fakes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  computeFileHash,
  computeSliceHash,
  type EvmAddress,
  type FileHash,
  generateKeyPair,
  issueTicket,
  type KeyPair,
  type OzoneMarket,
  signReceipt,
  type Ticket,
  type TicketKind,
  type TrafficReceipt,
} from '@stratos-edge/core'
import { createLogger } from '../src/logger.js'
import {
  createTrafficSettlement,
  type OwnerOf,
  openSqliteSettlementStore,
  type RootPoster,
  type SettlementStore,
  type TrafficCharge,
  type TrafficSettlement,
  type TrafficSettlementInit,
} from '../src/traffic/index.js'

/** The network the test tickets and receipts are signed for (anvil's chain id). */
export const TEST_NETWORK = 31337

export const EPOCH_MS = 10_000
/** Epoch 1 starts at T0: the contract numbers epochs from 1. */
export const GENESIS_MS = 1_800_000_000_000
export const T0 = GENESIS_MS + EPOCH_MS
export const LATE_MS = 2_000
export const logger = createLogger({ level: 'error' })
export const MARKET: OzoneMarket = {
  totalDeposit: 10n ** 21n,
  unissuedPrepay: 10n ** 20n,
  remainingOzoneLimit: 10n ** 9n,
}

/** Keys and a file for one test world. */
export function makeWorld(downloaders = 3, providers = 3) {
  const meta = generateKeyPair()
  const owner = generateKeyPair()
  const fileHash = computeFileHash(new TextEncoder().encode(`file ${Math.random()}`))
  const sliceHash = computeSliceHash(1, new TextEncoder().encode('slice'), fileHash)
  return {
    meta,
    owner,
    fileHash,
    sliceHash,
    downloaders: Array.from({ length: downloaders }, generateKeyPair),
    providers: Array.from({ length: providers }, generateKeyPair),
  }
}
export type World = ReturnType<typeof makeWorld>

export function ticketFor(
  world: World,
  holder: KeyPair,
  opts: {
    bytesAllowed?: bigint
    expiresAt?: number
    kind?: TicketKind
    fileHash?: FileHash
    issuer?: KeyPair
  } = {},
): Ticket {
  return issueTicket(
    {
      kind: opts.kind ?? 'download',
      network: TEST_NETWORK,
      owner: world.owner.evmAddress,
      holder: holder.evmAddress,
      fileHash: opts.fileHash ?? world.fileHash,
      bytesAllowed: opts.bytesAllowed ?? 1n << 30n,
      expiresAt: opts.expiresAt ?? Math.floor(T0 / 1000) + 86_400,
    },
    opts.issuer ?? world.meta,
  )
}

export function receiptOf(
  world: World,
  downloader: KeyPair,
  provider: { evmAddress: EvmAddress },
  ticket: Ticket,
  bytes: number,
  nonce: bigint,
  epoch = 1,
): TrafficReceipt {
  return signReceipt(
    {
      network: TEST_NETWORK,
      epoch,
      provider: provider.evmAddress,
      fileHash: world.fileHash,
      sliceHash: world.sliceHash,
      bytes,
      ticketId: ticket.id,
      nonce,
    },
    downloader,
  )
}

/** An ozone charger that records each charge once by key, as the ledger must. */
export function recordingCharger() {
  const charges = new Map<string, TrafficCharge>()
  let calls = 0
  return {
    charges,
    get calls() {
      return calls
    },
    async chargeTraffic(c: TrafficCharge) {
      calls++
      if (!charges.has(c.key)) charges.set(c.key, c)
    },
  }
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratos-traffic-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A settlement over a real sqlite store in `dir`, with a clock the test moves. */
export function settlementFor(
  world: World,
  dir: string,
  opts: {
    tickets?: Ticket[]
    ownerOf?: OwnerOf
    poster?: RootPoster
    init?: Partial<TrafficSettlementInit>
    store?: SettlementStore
  } = {},
) {
  const clock = { now: T0 + 1000 }
  const tickets = new Map<string, Ticket>((opts.tickets ?? []).map((t) => [t.id, t]))
  const store = opts.store ?? openSqliteSettlementStore({ dataDir: dir })
  const charger = recordingCharger()
  const settlement: TrafficSettlement = createTrafficSettlement(
    {
      clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS },
      lateWindowMs: LATE_MS,
      issuers: [world.meta.evmAddress],
      ...opts.init,
    },
    {
      store,
      tickets: {
        get: async (id) => tickets.get(id),
      },
      charger,
      market: async () => MARKET,
      ...(opts.poster ? { poster: opts.poster } : {}),
      ...(opts.ownerOf ? { ownerOf: opts.ownerOf } : {}),
      now: () => clock.now,
      logger,
    },
  )
  return { settlement, store, clock, charger, tickets }
}

/** After epoch `epoch`'s late window. */
export const afterLate = (epoch: number) => GENESIS_MS + (epoch + 1) * EPOCH_MS + LATE_MS
