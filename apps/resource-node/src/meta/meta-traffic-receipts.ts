import { decodeReceipt, type EvmAddress, type TrafficReceipt, toEvmAddress } from '@stratos-edge/core'
import type { IndexRequestContext, SubmitReceiptsResult } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { TrafficSettlement } from '../traffic/traffic-settlement.js'
import type { MetaTrafficCounters } from './meta-traffic.js'

/**
 * SUBMIT_RECEIPTS in the meta service: decodes the receipts, hands each provider's to the settlement
 * (a receipt pays only the provider it names, whoever hands it in) and counts the outcomes.
 * Duplicates (receipts already held) are counted once, not refused.
 *
 * @example
 * ```ts
 * const result = await submitEncodedReceipts(settlement, counters, logger, receipts, context)
 * ```
 */
export async function submitEncodedReceipts(
  settlement: Pick<TrafficSettlement, 'submit'>,
  counters: MetaTrafficCounters,
  logger: Logger,
  encoded: Uint8Array[],
  context: IndexRequestContext,
): Promise<SubmitReceiptsResult> {
  // The provider is named in each receipt: a receipt pays only its named provider, whoever hands it in.
  const rejected: { index: number; reason: string }[] = []
  const byProvider = new Map<EvmAddress, { index: number; receipt: TrafficReceipt }[]>()
  encoded.forEach((bytes, index) => {
    let receipt: TrafficReceipt
    try {
      receipt = decodeReceipt(bytes)
    } catch {
      rejected.push({ index, reason: 'malformed' })
      return
    }
    const provider = toEvmAddress(receipt.provider)
    const list = byProvider.get(provider) ?? []
    list.push({ index, receipt })
    byProvider.set(provider, list)
  })
  let accepted = 0
  for (const [provider, list] of byProvider) {
    const result = await settlement.submit(
      provider,
      list.map((x) => x.receipt),
    )
    accepted += result.accepted
    counters.receiptsAccepted += result.accepted
    counters.receiptsDuplicate += result.duplicates
    for (const r of result.rejected) {
      rejected.push({ index: (list[r.index] as { index: number }).index, reason: r.reason })
      counters.rejected.set(r.reason, (counters.rejected.get(r.reason) ?? 0) + 1)
    }
  }
  logger.debug('receipts submitted', {
    peer: context.peer.toString(),
    accepted,
    rejected: rejected.length,
  })
  rejected.sort((a, b) => a.index - b.index)
  // Duplicates are receipts already held: counted once, not refused.
  return { accepted: encoded.length - rejected.length, rejected }
}
