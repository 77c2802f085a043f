import {
  type BridgeClient,
  type EpochRootValue,
  signEpochRoot,
  sortSignatures,
} from '@stratos-edge/polygon-bridge'
import type { Signer } from 'ethers'
import { CommitteeTooSmallError } from './errors.js'

/** Posts a settled epoch's reward root on chain; resolves with the transaction hash. */
export interface RootPoster {
  post(value: EpochRootValue): Promise<string>
}

/** Options of {@link createCommitteeRootPoster}. */
export interface CommitteeRootPosterInit {
  /** Signatures the contract needs (M of N). */
  threshold: number
}

/** The edges of {@link createCommitteeRootPoster}. */
export interface CommitteeRootPosterComponents {
  /** Sends the transaction (its Polygon signer pays the gas; it need not be a committee member). */
  client: BridgeClient
  /** Committee keys this meta service holds; the first `threshold` sign. */
  committee: readonly Signer[]
}

/**
 * Posts epoch roots to `TrafficRewards` with M of N committee signatures over the contract's EIP-712
 * domain. Posting an epoch the contract already holds with the same root is a no-op (a crash between
 * the transaction and recording it is thus harmless).
 *
 * @example
 * ```ts
 * const poster = createCommitteeRootPoster({ threshold: 2 }, { client, committee: [k7, k8, k9] })
 * await poster.post({ epoch: 7, root, total })
 * ```
 */
export function createCommitteeRootPoster(
  init: CommitteeRootPosterInit,
  components: CommitteeRootPosterComponents,
): RootPoster {
  if (components.committee.length < init.threshold) {
    throw new CommitteeTooSmallError(
      `${components.committee.length} committee keys, the contract needs ${init.threshold}`,
      'Give the meta service at least threshold committee keys',
    )
  }
  return {
    async post(value) {
      const { client } = components
      const posted = await client.epochRoot(value.epoch)
      if (posted && posted.root.toLowerCase() === value.root.toLowerCase()) return 'already-posted'
      const domain = await client.rewardsDomain()
      const signers = components.committee.slice(0, init.threshold)
      const signed = await Promise.all(signers.map((s) => signEpochRoot(s, domain, value)))
      const tx = await client.postEpochRoot({
        ...value,
        signatures: sortSignatures(signed).map((s) => s.signature),
      })
      return tx.hash
    },
  }
}
