import { JsonRpcProvider } from 'ethers'
import { createTicketGate, type TicketGate } from '../gateway/ticket-gate.js'
import { createOzoneLedger, type OzoneLedger } from '../ledger/ozone-ledger.js'
import type { OzoneLedgerStore } from '../ledger/ozone-ledger-store.js'
import { openSqliteLedgerStore } from '../ledger/sqlite-ledger-store.js'
import type { Logger } from '../logger.js'
import { createTicketIssuer, type TicketIssuer } from '../meta/ticket-issuer.js'
import { openTicketExpiries, type TicketExpiries } from '../store/ticket-expiries.js'
import { loadOrCreateMetaKey } from './meta-key.js'

/** Where the meta service reads prepayments: Polygon's `StoragePayments`. */
export interface PaymentsInit {
  /** Polygon JSON-RPC URL. */
  rpcUrl: string
  /** `StoragePayments` address. */
  storagePayments: string
  /** Confirmations before a prepayment is credited (default 64; 1 on a local anvil). */
  confirmations?: number
  /** First block to scan on a new ledger (the contract's deployment block). */
  fromBlock?: number
  /** Poll period, ms (default 2000). */
  pollIntervalMs?: number
}

/** Upload tickets of a node: on when given; every write then needs a ticket. */
export interface TicketsInit {
  /** The network id (chain id of the tickets' EIP-712 domain), e.g. Polygon's 137; 31337 on anvil. */
  network: number
  /** Meta service addresses (`0x…`) whose tickets this node accepts, besides its own meta service's. */
  issuers?: string[]
  /** With `meta`: ozone (noz) every owner may spend without prepaying (default 0: no free tier). */
  freeOzone?: bigint
  /** With `meta`: ticket lifetime, seconds (default 3600). */
  ticketLifetimeSeconds?: number
  /** With `meta`: credit prepayments from Polygon (without it, only the free tier pays). */
  payments?: PaymentsInit
}

/**
 * The ozone market of a new network: 1,000,000 STOS of resource-node deposits (S) against an ozone limit
 * (Lt) of 2^50 noz (1 PiB of traffic), so 1 STOS buys about 1 GiB of ozone (1 noz = 1 byte) and a served
 * GiB earns in the order of 1 STOS before the split. A limit a million times larger made a megabyte served
 * earn under 10^-14 STOS: accounting that works, but rewards nobody can see.
 */
export const LAUNCH_MARKET = Object.freeze({
  totalDeposit: 10n ** 24n,
  unissuedPrepay: 0n,
  remainingOzoneLimit: 2n ** 50n,
})

/** The node's ticket parts: the gate on every write, and with `meta` the issuer and the ledger. */
export interface NodeTickets {
  gate: TicketGate
  issuer: TicketIssuer | undefined
  ledger: OzoneLedger | undefined
  /** With `meta`: the ledger's store (Proof of Traffic reserves, charges and keeps download tickets in it). */
  store: OzoneLedgerStore | undefined
  start(): void
  close(): Promise<void>
}

/**
 * Builds the ticket parts of a node. A meta node signs tickets with `<dataDir>/meta.key`, reserves ozone
 * in the ledger at `<dataDir>/ozone-ledger.sqlite` (fed by the payment watcher when `payments` is given),
 * and accepts its own tickets. Every node keeps its files' ticket expiries (eviction spares their slices
 * until then) in `<dataDir>/ticket-expiries.sqlite`, so a restart mid-upload keeps them.
 */
export async function createNodeTickets(
  init: TicketsInit,
  context: { dataDir: string; meta: boolean; logger: Logger },
): Promise<NodeTickets> {
  let issuer: TicketIssuer | undefined
  let ledger: OzoneLedger | undefined
  let store: OzoneLedgerStore | undefined
  let expiries: TicketExpiries
  try {
    if (context.meta) {
      const key = await loadOrCreateMetaKey(context.dataDir)
      // The market a fresh ledger starts from (the ledger keeps it from then on) prices prepayments and
      // traffic rewards alike: (S+Pt)/Lt STOS-wei per noz. See LAUNCH_MARKET.
      store = openSqliteLedgerStore({ dataDir: context.dataDir, initialMarket: LAUNCH_MARKET })
      issuer = createTicketIssuer(
        {
          network: init.network,
          ...(init.freeOzone !== undefined ? { freeOzone: init.freeOzone } : {}),
          ...(init.ticketLifetimeSeconds !== undefined
            ? { ticketLifetimeSeconds: init.ticketLifetimeSeconds }
            : {}),
        },
        { key, ledger: store, logger: context.logger },
      )
      if (init.payments) {
        const p = init.payments
        ledger = createOzoneLedger(
          {
            storagePayments: p.storagePayments,
            chainId: init.network,
            confirmations: p.confirmations ?? 64,
            ...(p.fromBlock !== undefined ? { fromBlock: p.fromBlock } : {}),
            ...(p.pollIntervalMs !== undefined ? { pollIntervalMs: p.pollIntervalMs } : {}),
          },
          {
            provider: new JsonRpcProvider(p.rpcUrl, init.network, { staticNetwork: true }),
            store,
            logger: context.logger,
          },
        )
      }
    }
    expiries = openTicketExpiries({ dataDir: context.dataDir })
  } catch (err) {
    // Nothing else holds the ledger's sqlite handle yet: closed here, or never.
    await store?.close().catch(() => {})
    throw err
  }
  const gate = createTicketGate(
    {
      network: init.network,
      issuers: [...(init.issuers ?? []), ...(issuer ? [issuer.address] : [])],
    },
    { expiries },
  )
  return {
    gate,
    issuer,
    ledger,
    store,
    start: () => ledger?.start(),
    async close() {
      await ledger?.stop()
      await store?.close()
      expiries.close()
    },
  }
}
