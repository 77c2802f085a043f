/** Balances and storage prepayments on Polygon (`StoragePayments`). */
import { toEvmAddress } from '@stratos-edge/core'
import type { BridgeClient, Prepayment } from './bridge-client-types.js'
import { type ContractCalls, need } from './contract-calls.js'

type PaymentCalls = Pick<
  BridgeClient,
  'stosBalance' | 'prepay' | 'prepaymentsOf' | 'settlePrepayment' | 'refundPrepayment'
>

/** The bridge client's balance and prepayment calls. */
export function paymentCalls(calls: ContractCalls): PaymentCalls {
  const { addresses, eth, pol, reader, writer, send, ensureAllowance, getPaymentToken } = calls
  return {
    async stosBalance(chain, account) {
      const token = chain === 'ethereum' ? addresses.ethereum.stos : await getPaymentToken()
      const c = await reader(chain === 'ethereum' ? eth : pol, token, 'TestStos')
      return (await c.getFunction('balanceOf').staticCall(toEvmAddress(account))) as bigint
    },

    async prepay({ beneficiary, amount }) {
      const payments = need(addresses.polygon.storagePayments, 'StoragePayments')
      const token = await getPaymentToken()
      await ensureAllowance(pol, token, payments, amount)
      const { contract } = await writer(pol, payments, 'StoragePayments')
      const receipt = await send(contract, 'prepay', [toEvmAddress(beneficiary), amount], {
        token: false,
        pausable: true,
      })
      const topic = contract.interface.getEvent('Prepaid')!.topicHash
      const log = receipt.logs.find((l) => l.topics[0] === topic)!
      return {
        hash: receipt.hash,
        blockNumber: receipt.blockNumber,
        paymentId: BigInt(log.topics[1]!),
        logIndex: log.index,
      }
    },

    async prepaymentsOf(account, options = {}) {
      const c = await reader(
        pol,
        need(addresses.polygon.storagePayments, 'StoragePayments'),
        'StoragePayments',
      )
      const filter = c.filters.Prepaid!(null, null, toEvmAddress(account))
      const logs = await c.queryFilter(filter, options.fromBlock ?? 0, 'latest')
      const out: Prepayment[] = []
      for (const log of logs) {
        const parsed = c.interface.parseLog(log)!
        const p = await c.getFunction('payments').staticCall(parsed.args[0])
        out.push({
          paymentId: parsed.args[0] as bigint,
          payer: parsed.args[1] as string,
          beneficiary: parsed.args[2] as string,
          amount: parsed.args[3] as bigint,
          spent: p[4] as bigint,
          refunded: p[2] as boolean,
          paidAt: Number(p[1]),
          txHash: log.transactionHash,
          blockNumber: log.blockNumber,
          logIndex: log.index,
        })
      }
      return out
    },

    async settlePrepayment(paymentId, spent) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.storagePayments, 'StoragePayments'),
        'StoragePayments',
      )
      const receipt = await send(contract, 'settle', [paymentId, spent], { token: false, pausable: true })
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },

    async refundPrepayment(paymentId) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.storagePayments, 'StoragePayments'),
        'StoragePayments',
      )
      const receipt = await send(contract, 'refund', [paymentId], { token: false, pausable: true })
      const topic = contract.interface.getEvent('Refunded')!.topicHash
      const log = receipt.logs.find((l) => l.topics[0] === topic)!
      return { hash: receipt.hash, blockNumber: receipt.blockNumber, amount: BigInt(log.data) }
    },
  }
}
