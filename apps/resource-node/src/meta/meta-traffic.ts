import { decodeTicket, epochAt, type FileHash, type KeyPair, toEvmAddress } from '@stratos-edge/core'
import type { BridgeAddresses, BridgeClient } from '@stratos-edge/polygon-bridge'
import { createBridgeClient } from '@stratos-edge/polygon-bridge'
import { RateLimitedError } from '@stratos-edge/protocol'
import { Contract, FetchRequest, JsonRpcProvider, Wallet } from 'ethers'
import { type BucketRate, createRateLimit } from '../gateway/rate-limit.js'
import type { OzoneLedgerStore } from '../ledger/ozone-ledger-store.js'
import type { Logger } from '../logger.js'
import { createCommitteeRootPoster, type RootPoster } from '../traffic/committee-root-poster.js'
import type { EpochRewardsInit } from '../traffic/epoch-rewards.js'
import type { RejectReason } from '../traffic/receipt-rules.js'
import { selfReportParts, submitEncodedSelfReport } from '../traffic/self-report-intake.js'
import type { SettlementStore } from '../traffic/settlement-store.js'
import { openSqliteSettlementStore } from '../traffic/sqlite-settlement-store.js'
import { createTrafficSettlement, type TrafficSettlement } from '../traffic/traffic-settlement.js'
import {
  createWorkerReceiptVerifier,
  type WorkerReceiptVerifier,
} from '../traffic/worker-receipt-verifier.js'
import { createDownloadTicketIssuer, type DownloadTicketIssuer } from './download-ticket-issuer.js'
import { createMetaNodeOwners } from './meta-node-owners.js'
import type { MetaTrafficBackend } from './meta-service-init.js'
import { submitEncodedReceipts } from './meta-traffic-receipts.js'
import { trafficStatusOf } from './meta-traffic-status.js'

/** Default epoch length: stratos settles traffic about every 10 minutes. */
export const DEFAULT_EPOCH_SECONDS = 600

/**
 * Default per-peer limit on REQUEST_DOWNLOAD_TICKET: a burst of 60 (a page of files), then 1 a second.
 * Each granted request reserves twice the file's size of its owner's ozone for the ticket's lifetime.
 */
export const DEFAULT_DOWNLOAD_TICKET_RATE: Readonly<BucketRate> = { perSecond: 1, burst: 60 }

/** Where epoch roots are posted: `TrafficRewards` on Polygon, signed by M of N committee keys. */
export interface RootPostingInit {
  /** Polygon JSON-RPC URL. */
  polygonRpc: string
  /** The `TrafficRewards` contract; the settlement's clock is read from it. */
  trafficRewards: string
  /** Committee private keys (`0x` hex) this meta service holds; the first sends the transactions. */
  committeeKeys: readonly string[]
  /** Signatures the contract needs (default: its own threshold is not read; 2). */
  threshold?: number
}

/** Options of {@link createMetaTraffic}. */
export interface MetaTrafficInit extends EpochRewardsInit {
  /** The network id receipts and tickets are signed for (the tickets' `--network`). */
  network: number
  /**
   * Epoch length, seconds (default 600). With `posting`, it must equal the contract's `epochDuration`
   * (the clock is the contract's).
   */
  epochSeconds?: number
  /** Receipts of an epoch are taken this long after it ends, seconds (default a fifth of an epoch). */
  lateWindowSeconds?: number
  /**
   * Start of epoch 0, ms. Default: with `posting` one epoch before the contract's genesis (so epoch
   * numbers match the contract's, which start at 1); without, the Unix epoch.
   */
  genesisMs?: number
  /** Without it, epochs are settled and proofs answered, but no root goes on chain. */
  posting?: RootPostingInit
  /** Download tickets allow this multiple of the file size (default 2). */
  downloadSizeFactor?: number
  /** Download ticket lifetime, seconds (default 3600). */
  downloadTicketSeconds?: number
  /**
   * REQUEST_DOWNLOAD_TICKET requests each peer may send (default {@link DEFAULT_DOWNLOAD_TICKET_RATE});
   * past it the request fails with `RateLimitedError`. `false`: no limit.
   */
  downloadTicketRate?: BucketRate | false
  /** The upload tickets' free tier also pays for reads (default 0). */
  freeOzone?: bigint
  /** Signature-checking worker threads; 0 checks in this thread (default: the machine's parallelism). */
  verifierThreads?: number
  /**
   * Provider addresses (`0x…`) whose gateway self-reports are taken (nodes this meta service runs or
   * lists); default none. Each owner pays them only from its balance less its reservations.
   */
  selfReporters?: readonly string[]
  /** REGISTER_NODE_OWNER requests each peer may send (default a burst of 20, then one every 5 s). */
  nodeOwnerRate?: BucketRate | false
}

/** The edges of {@link createMetaTraffic}. */
export interface MetaTrafficComponents {
  /** The node's data directory: the settlement's database goes there. */
  dataDir: string
  /** The meta service's signing key (tickets). */
  key: KeyPair
  /** The ozone ledger: download reservations, the ticket book, the epoch charges, the market. */
  ledger: OzoneLedgerStore
  /** The manifest a download reads (the meta service's answer for a bare hash when no owner is named). */
  manifest(fileHash: FileHash, owner?: string): Promise<Uint8Array | undefined>
  logger: Logger
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
  /** Replaces the on-chain poster (tests). */
  poster?: RootPoster
}

/** Counters of the meta service's epochs, for `/metrics`. */
export interface MetaTrafficCounters {
  epochsSettled: number
  receiptsAccepted: number
  receiptsDuplicate: number
  rejected: Map<RejectReason, number>
  rootsPosted: number
  /** Seconds from an epoch's end to its root posted, last one. */
  lastRootPostDelaySeconds: number | undefined
}

/** Proof of Traffic in the meta service: the index protocol's four traffic requests, and the epoch loop. */
export interface MetaTraffic extends MetaTrafficBackend {
  readonly settlement: TrafficSettlement
  readonly store: SettlementStore
  readonly clock: { genesisMs: number; epochMs: number; lateWindowMs: number }
  readonly trafficRewards: string | undefined
  readonly counters: MetaTrafficCounters
  /** Settles due epochs, charges owners, posts roots, gives back unused download reservations. */
  tick(): Promise<void>
  /** Runs `tick()` every tenth of an epoch (at least every second, at most every 30 s) until `stop()`. */
  start(): void
  stop(): Promise<void>
}

function rpcProvider(url: string): JsonRpcProvider {
  const request = new FetchRequest(url)
  request.timeout = 30_000
  return new JsonRpcProvider(request, undefined, { pollingInterval: 500, cacheTimeout: -1 })
}

/**
 * Wires Proof of Traffic into a meta service: download tickets against the file owners' ozone, receipts
 * into the settlement engine (a durable `node:sqlite` store in the data directory, signatures checked on
 * worker threads), epoch settlement with the ozone ledger as charger, and the reward roots posted to
 * `TrafficRewards` by the committee keys. See docs/proof-of-traffic.md.
 *
 * @example
 * ```ts
 * const traffic = await createMetaTraffic({ network: 31337, epochSeconds: 60 }, { dataDir, key, ledger, manifest, logger })
 * const meta = createMetaService({ manifests: store, traffic })
 * traffic.start()
 * ```
 */
export async function createMetaTraffic(
  init: MetaTrafficInit,
  components: MetaTrafficComponents,
): Promise<MetaTraffic> {
  const { ledger, logger } = components
  const now = components.now ?? Date.now
  let epochSeconds = init.epochSeconds ?? DEFAULT_EPOCH_SECONDS
  let genesisMs = init.genesisMs ?? 0
  let client: BridgeClient | undefined
  let rpc: JsonRpcProvider | undefined
  let poster = components.poster
  const posting = init.posting
  if (posting) {
    rpc = rpcProvider(posting.polygonRpc)
    const chainId = Number((await rpc.getNetwork()).chainId)
    const rewards = new Contract(
      posting.trafficRewards,
      ['function genesisTime() view returns (uint64)', 'function epochDuration() view returns (uint64)'],
      rpc,
    )
    const [genesis, duration] = (await Promise.all([rewards.genesisTime?.(), rewards.epochDuration?.()])) as [
      bigint,
      bigint,
    ]
    if (init.epochSeconds !== undefined && BigInt(init.epochSeconds) !== duration) {
      rpc.destroy()
      throw new Error(
        `--epoch-seconds ${init.epochSeconds} differs from TrafficRewards' epochDuration ${duration}: use the contract's`,
      )
    }
    epochSeconds = Number(duration)
    // Contract epoch n covers [genesis + (n-1)·D, genesis + n·D): the settlement's epoch n, one epoch earlier.
    genesisMs = init.genesisMs ?? (Number(genesis) - epochSeconds) * 1000
    const sender = new Wallet(posting.committeeKeys[0] ?? '', rpc)
    const addresses = {
      ethereum: { chainId: 0 },
      polygon: { chainId, trafficRewards: posting.trafficRewards },
    } as BridgeAddresses
    client = createBridgeClient({ ethereum: rpc, polygon: sender, addresses })
    poster ??= createCommitteeRootPoster(
      { threshold: posting.threshold ?? 2 },
      { client, committee: posting.committeeKeys.map((k) => new Wallet(k, rpc)) },
    )
  }
  const epochMs = epochSeconds * 1000
  const lateWindowMs =
    init.lateWindowSeconds !== undefined ? init.lateWindowSeconds * 1000 : Math.floor(epochMs / 5)
  const clock = { genesisMs, epochMs, lateWindowMs }

  const counters: MetaTrafficCounters = {
    epochsSettled: 0,
    receiptsAccepted: 0,
    receiptsDuplicate: 0,
    rejected: new Map(),
    rootsPosted: 0,
    lastRootPostDelaySeconds: undefined,
  }
  const timedPoster: RootPoster | undefined = poster && {
    async post(value) {
      const tx = await (poster as RootPoster).post(value)
      counters.rootsPosted++
      counters.lastRootPostDelaySeconds = (now() - (genesisMs + (Number(value.epoch) + 1) * epochMs)) / 1000
      return tx
    },
  }

  // The worker script is JavaScript only in the built package; from sources, signatures are checked here.
  const threads = import.meta.url.endsWith('.ts') ? 0 : init.verifierThreads
  const pool: WorkerReceiptVerifier | undefined =
    threads === 0 ? undefined : createWorkerReceiptVerifier(threads ? { threads } : {})
  const store = openSqliteSettlementStore({ dataDir: components.dataDir })
  const nodeOwners = createMetaNodeOwners(
    { network: init.network, ...(init.nodeOwnerRate !== undefined ? { rate: init.nodeOwnerRate } : {}) },
    { dataDir: components.dataDir, now, logger },
  )
  const settlement = createTrafficSettlement(
    {
      clock: { genesisMs, epochMs },
      lateWindowMs,
      issuers: [components.key.evmAddress],
      network: init.network,
      ...(init.split ? { split: init.split } : {}),
      ...(init.ozonePerByte !== undefined ? { ozonePerByte: init.ozonePerByte } : {}),
      ...(init.metaNodeAccounts ? { metaNodeAccounts: init.metaNodeAccounts } : {}),
      ...(init.selfReportWeightBps !== undefined ? { selfReportWeightBps: init.selfReportWeightBps } : {}),
    },
    {
      store,
      tickets: {
        async get(ticketId) {
          const bytes = await ledger.downloadTicket(ticketId)
          return bytes ? decodeTicket(bytes) : undefined
        },
      },
      charger: {
        async chargeTraffic(charge) {
          await ledger.chargeTraffic(charge)
        },
      },
      market: () => ledger.market(),
      ownerOf: nodeOwners.ownerOf,
      ...(timedPoster ? { poster: timedPoster } : {}),
      ...(pool ? { verifier: pool.verify, ticketVerifier: pool.verifyTickets } : {}),
      now,
      logger,
      ...selfReportParts(init.selfReporters ?? [], ledger),
    },
  )
  const downloads: DownloadTicketIssuer = createDownloadTicketIssuer(
    {
      network: init.network,
      ...(init.downloadSizeFactor !== undefined ? { sizeFactor: init.downloadSizeFactor } : {}),
      ...(init.ozonePerByte !== undefined ? { ozonePerByte: init.ozonePerByte } : {}),
      ...(init.freeOzone !== undefined ? { freeOzone: init.freeOzone } : {}),
      ...(init.downloadTicketSeconds !== undefined
        ? { ticketLifetimeSeconds: init.downloadTicketSeconds }
        : {}),
    },
    {
      key: components.key,
      ledger,
      manifest: components.manifest,
      ticketUsed: async (id) => (await store.ticketsSeen([id])).has(id),
      logger,
      now,
    },
  )

  // Every granted request locks up some of an owner's ozone for an hour: each peer asks at a bounded rate.
  const ticketRate =
    init.downloadTicketRate === false
      ? undefined
      : createRateLimit({ requests: init.downloadTicketRate ?? DEFAULT_DOWNLOAD_TICKET_RATE }, { now })
  const currentEpoch = () => (now() < genesisMs ? 0 : epochAt(now(), { genesisMs, epochMs }))

  async function tick(): Promise<void> {
    // Download tickets expired by then back no epoch this tick leaves unsettled (see releaseDownloads).
    const releaseBy = Math.floor((now() - lateWindowMs - epochMs) / 1000)
    const lastDue = epochAt(Math.max(genesisMs, now() - lateWindowMs), { genesisMs, epochMs }) - 1
    const due = await store.unsettledEpochs(lastDue)
    await settlement.tick()
    for (const e of due) if (await store.settlement(e)) counters.epochsSettled++
    const released = await ledger.releaseDownloads(releaseBy)
    if (released.tickets > 0) logger.info('download reservations released', { ...released })
  }

  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> | undefined

  return {
    settlement,
    store,
    clock,
    trafficRewards: posting ? toEvmAddress(posting.trafficRewards) : undefined,
    counters,
    tick,
    requestDownloadTicket(request, context) {
      const waitMs = ticketRate?.take(context.peer.toString()) ?? 0
      if (waitMs > 0) {
        return Promise.reject(
          new RateLimitedError(`Too many download ticket requests from ${context.peer}`, Math.ceil(waitMs)),
        )
      }
      return downloads.issueEncoded(request)
    },
    submitSelfReport: (report) => submitEncodedSelfReport(settlement, report),
    registerNodeOwner: nodeOwners.registerNodeOwner,
    submitReceipts: (encoded, context) =>
      submitEncodedReceipts(settlement, counters, logger, encoded, context),
    trafficStatus: (account) =>
      trafficStatusOf(
        {
          network: init.network,
          clock,
          currentEpoch: currentEpoch(),
          ...(posting ? { trafficRewards: toEvmAddress(posting.trafficRewards) } : {}),
          ticketIssuer: components.key.evmAddress,
          store,
          ...(client ? { client } : {}),
        },
        account,
      ),
    async rewardProof(epoch, account) {
      const p = await settlement.rewardProof(epoch, account)
      return { epoch, account: p.account, amount: p.amount.toString(), proof: p.proof as `0x${string}`[] }
    },
    start() {
      if (timer) return
      const every = Math.min(30_000, Math.max(1000, Math.floor(epochMs / 10)))
      timer = setInterval(() => {
        if (running) return
        running = tick()
          .catch((err) => logger.warn('traffic settlement', { err }))
          .finally(() => {
            running = undefined
          })
      }, every)
      timer.unref?.()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running
      await pool?.close()
      await store.close()
      nodeOwners.close()
      rpc?.destroy()
    },
  }
}
