import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { type EpochClock, type KeyPair, type Manifest, toEvmAddress } from '@stratos-edge/core'
import { createBridgeClient } from '@stratos-edge/polygon-bridge'
import {
  createIndexClient,
  NoRewardError,
  type RegisterNodeOwnerResult,
  type SubmitSelfReportResult,
} from '@stratos-edge/protocol'
import { JsonRpcProvider, Wallet } from 'ethers'
import { createServedTraffic, type ServedTraffic } from '../gateway/served-traffic.js'
import type { Logger } from '../logger.js'
import type { MetaService } from '../meta/meta-service.js'
import { type NodeMetrics, registerTrafficMetrics } from './metrics.js'
import type { OwnerSignedBinding } from './operator-binding-file.js'
import {
  createTrafficClaimer,
  type RewardChain,
  type RewardSource,
  type TrafficClaimer,
  type TrafficStatusView,
} from './traffic-claimer.js'
import { NoMetaServiceError } from './traffic-errors.js'
import { loadOrCreateNodeEvmKey } from './traffic-key.js'
import {
  createOwnerBindingRegistrar,
  type OperatorOwner,
  type OwnerBindingRegistrar,
} from './traffic-owner-binding.js'
import { createSelfReporter, type SelfReporter } from './traffic-self-reporter.js'
import { createNodeTrafficStatus, type HeldReceiptView, type NodeTrafficStatus } from './traffic-status.js'

/** Options of {@link createNodeTraffic}. */
export interface NodeTrafficInit {
  /**
   * Claim the node's rewards on `TrafficRewards` after each settled epoch with a posted root; the node's
   * EVM key sends the claims and must hold gas on this chain.
   */
  readonly claimRewards?: {
    /** Polygon JSON-RPC URL. */
    readonly polygonRpc: string
    /** `TrafficRewards` address; default the one the meta service's TRAFFIC_STATUS names. */
    readonly trafficRewards?: string
  }
  /** Report the gateway's traffic to anonymous readers to the meta service (default true). */
  readonly selfReport?: boolean
  /** How often to report, refresh the status and claim, ms (default 5000). */
  readonly intervalMs?: number
  /**
   * The operator's wallet key (`0x` hex): the node binds its traffic key to it at the meta service
   * (REGISTER_NODE_OWNER), so receipts between this node and the operator's other nodes are refused as
   * self-dealing. Puts the wallet key on the server: for local demos; prefer `operatorBinding`.
   * Default none: the node stays unbound.
   */
  readonly operatorKey?: string
  /** The same binding with the owner's half signed offline: the node adds only its own signature. */
  readonly operatorBinding?: OwnerSignedBinding
}

/** The meta service's Proof of Traffic requests, as this node reaches them (index protocol or in process). */
export interface MetaTrafficAccess extends RewardSource {
  /** The clock fields only without an account. */
  trafficStatus(account?: string): Promise<TrafficStatusView>
  submitSelfReport(report: Uint8Array): Promise<SubmitSelfReportResult>
  registerNodeOwner(binding: Uint8Array): Promise<RegisterNodeOwnerResult>
}

/** The edges of {@link createNodeTraffic}. */
export interface NodeTrafficComponents {
  readonly dataDir: string
  readonly logger: Logger
  readonly metrics: NodeMetrics
  readonly meta: MetaTrafficAccess
  /** Receipts held for libp2p traffic (the receipt protocol's hold store `list()`), when it runs. */
  readonly receipts?: () => Promise<readonly HeldReceiptView[]>
  /** The node's EVM key; default loaded from (or created in) `<dataDir>/traffic.key`. */
  readonly key?: KeyPair
  /** The claims' chain; default a client of `claimRewards.polygonRpc` with the node's key. */
  readonly chain?: RewardChain
  /** Current time in ms; default `Date.now`. */
  readonly now?: () => number
}

/** The resource node's own Proof of Traffic: counting, self-reports, claims, status. */
export interface NodeTraffic {
  /** The node's EVM key: provider address, self-report signer, reward account. */
  readonly key: KeyPair
  /** The gateway's hook: file bytes handed to a reader. */
  onFileBytes(manifest: Manifest, bytes: number): void
  /** The body of `GET /v1/status/traffic`. */
  status(): Promise<NodeTrafficStatus>
  /** One round: learn the clock, report closed epochs, refresh the rewards, claim. */
  tick(): Promise<void>
  start(): void
  stop(): Promise<void>
}

/** A client that only claims: the Ethereum side is never used, so it gets no addresses. */
function claimChain(rpcUrl: string, trafficRewards: string, key: KeyPair): RewardChain {
  const provider = new JsonRpcProvider(rpcUrl)
  let client: ReturnType<typeof createBridgeClient> | undefined
  const get = async () => {
    if (client) return client
    const chainId = Number((await provider.getNetwork()).chainId)
    const wallet = new Wallet(`0x${Buffer.from(key.privateKey).toString('hex')}`, provider)
    client = createBridgeClient({
      ethereum: wallet,
      polygon: wallet,
      addresses: { ethereum: { chainId: 0, stos: '' }, polygon: { chainId, trafficRewards } },
    })
    return client
  }
  return {
    claimReward: async (claim) => (await get()).claimReward(claim),
    isRewardClaimed: async (epoch, account) => (await get()).isRewardClaimed(epoch, account),
  }
}

/**
 * The node's Proof of Traffic parts behind one facade: its EVM key, the gateway's traffic counter (from
 * the meta service's epoch clock, learned at the first round), the self-reporter, the reward claimer
 * (with `claimRewards`) and the status for `/v1/status/traffic` and `/metrics`.
 *
 * @example
 * ```ts
 * const traffic = await createNodeTraffic({ claimRewards: { polygonRpc } }, { dataDir, logger, metrics, meta })
 * traffic.start()
 * ```
 */
export async function createNodeTraffic(
  init: NodeTrafficInit,
  c: NodeTrafficComponents,
): Promise<NodeTraffic> {
  const key = c.key ?? (await loadOrCreateNodeEvmKey(c.dataDir))
  const account = key.evmAddress
  const now = c.now ?? Date.now
  let clock: (EpochClock & { lateWindowMs: number; network: number }) | undefined
  let served: ServedTraffic | undefined
  let reporter: SelfReporter | undefined
  let claimer: TrafficClaimer | undefined
  let binder: OwnerBindingRegistrar | undefined
  let view: TrafficStatusView | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> | undefined

  const status = createNodeTrafficStatus({
    account,
    get served() {
      return served
    },
    ...(c.receipts ? { receipts: c.receipts } : {}),
    selfReports: () => reporter?.states() ?? new Map(),
    rewards: () => claimer?.lastStatus() ?? view,
    claims: () => claimer?.claimed() ?? [],
  })
  registerTrafficMetrics(c.metrics, status)

  async function learnClock(): Promise<void> {
    const s = await c.meta.trafficStatus()
    clock = {
      genesisMs: s.genesisMs,
      epochMs: s.epochMs,
      lateWindowMs: s.lateWindowMs,
      network: s.network ?? 0,
    }
    served = createServedTraffic({ clock, now })
    if (init.selfReport !== false) {
      reporter = createSelfReporter(
        { network: clock.network, clock, lateWindowMs: clock.lateWindowMs },
        { served, key, submit: (r) => c.meta.submitSelfReport(r), logger: c.logger, now },
      )
    }
    const operator: OperatorOwner | undefined = init.operatorBinding
      ? { signed: init.operatorBinding }
      : init.operatorKey
        ? { key: init.operatorKey }
        : undefined
    if (operator) {
      binder = createOwnerBindingRegistrar(
        { network: clock.network, operator },
        { nodeKey: key, register: (b) => c.meta.registerNodeOwner(b), logger: c.logger },
      )
    }
    const rewards = init.claimRewards?.trafficRewards ?? s.trafficRewards
    if (init.claimRewards && rewards) {
      const chain = c.chain ?? claimChain(init.claimRewards.polygonRpc, rewards, key)
      claimer = createTrafficClaimer({ account }, { source: c.meta, chain, logger: c.logger })
    } else if (init.claimRewards) {
      c.logger.warn('traffic claims off: the meta service names no TrafficRewards contract', {})
    }
    c.logger.info('traffic: epoch clock learned', { account, epochMs: s.epochMs, claims: Boolean(claimer) })
  }

  async function tick(): Promise<void> {
    if (!clock) await learnClock()
    try {
      await reporter?.reportDue()
      if (claimer) await claimer.claimDue()
      else view = await c.meta.trafficStatus(account)
    } finally {
      // Last, and it never throws: a binding that cannot be made or sent never holds up reports and
      // claims, and a failing claim does not starve the binding.
      await binder?.registerDue()
    }
  }

  return {
    key,
    onFileBytes(manifest, bytes) {
      served?.add(toEvmAddress(manifest.owner), manifest.fileHash, bytes)
    },
    status: () => status.status(),
    tick,
    start() {
      if (timer) return
      const period = init.intervalMs ?? 5000
      timer = setInterval(() => {
        if (running) return
        running = tick()
          .catch((error: unknown) => c.logger.debug('traffic round failed, will retry', { error }))
          .finally(() => {
            running = undefined
          })
      }, period)
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running
    },
  }
}

/**
 * The meta service's traffic requests for this node: the in-process meta service when it runs one,
 * else the index protocol to `metaAddr`.
 */
export function metaTrafficAccessOf(parts: {
  libp2p: Pick<Libp2p, 'peerId' | 'dialProtocol'>
  metaService: MetaService | undefined
  metaAddr: Multiaddr | undefined
  selfObservedAddr: string
}): MetaTrafficAccess {
  const { metaService } = parts
  if (metaService) {
    const context = { peer: parts.libp2p.peerId, remoteAddr: parts.selfObservedAddr }
    return {
      trafficStatus: async (account) => metaService.trafficStatus(account, context),
      rewardProof: async (epoch, account) => {
        const proof = await metaService.rewardProof(epoch, toEvmAddress(account), context)
        if (!proof) throw new NoRewardError(`No reward for ${account} in epoch ${epoch}`, 'Ask once settled')
        return proof
      },
      submitSelfReport: async (report) => metaService.submitSelfReport(report, context),
      registerNodeOwner: async (binding) => metaService.registerNodeOwner(binding, context),
    }
  }
  const addr = parts.metaAddr
  const client = () => {
    if (!addr) throw new NoMetaServiceError('This node knows no meta service', 'Start it with --bootstrap')
    return createIndexClient(parts.libp2p, addr)
  }
  return {
    trafficStatus: (account) => client().trafficStatus(account),
    rewardProof: (epoch, account) => client().rewardProof(epoch, account),
    submitSelfReport: (report) => client().submitSelfReport(report),
    registerNodeOwner: (binding) => client().registerNodeOwner(binding),
  }
}
