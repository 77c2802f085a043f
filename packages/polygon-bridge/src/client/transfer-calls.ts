/** Crossing between Ethereum and Polygon: deposits, withdrawal burns and their exits after a checkpoint. */
import { toEvmAddress } from '@stratos-edge/core'
import { id, type Log, type TransactionReceipt, ZeroHash } from 'ethers'
import { buildExitPayload, encodeExitPayload, type RpcSender } from '../checkpoint-proof.js'
import { encodeDepositData } from '../deploy.js'
import { NotCheckpointedError, WithdrawalNotFoundError } from '../errors.js'
import type { BridgeClient, BridgeRoute } from './bridge-client-types.js'
import { type ContractCalls, need } from './contract-calls.js'

const MESSAGE_SENT_TOPIC = id('MessageSent(bytes)')
const TRANSFER_TOPIC = id('Transfer(address,address,uint256)')
const STATE_SYNCED_TOPIC = id('StateSynced(uint256,address,bytes)')

type TransferCalls = Pick<
  BridgeClient,
  'deposit' | 'startWithdraw' | 'isWithdrawCheckpointed' | 'exitWithdraw'
>

/** The bridge client's deposit and withdrawal calls. */
export function transferCalls(calls: ContractCalls): TransferCalls {
  const { addresses, eth, pol, reader, writer, send, ensureAllowance } = calls

  async function findCheckpoint(
    blockNumber: number,
  ): Promise<{ headerNumber: bigint; root: string; start: bigint; end: bigint } | undefined> {
    const cm = await reader(
      eth,
      need(addresses.ethereum.checkpointManager, 'checkpoint manager'),
      'LocalCheckpointManager',
    )
    const current = (await cm.getFunction('currentHeaderBlock').staticCall()) as bigint
    const step = 10_000n
    let lo = 1n
    let hi = current / step
    let found: bigint | undefined
    while (lo <= hi) {
      const mid = (lo + hi) / 2n
      const h = await cm.getFunction('headerBlocks').staticCall(mid * step)
      if (BigInt(h[2]) >= BigInt(blockNumber)) {
        found = mid
        hi = mid - 1n
      } else lo = mid + 1n
    }
    if (found === undefined) return undefined
    const h = await cm.getFunction('headerBlocks').staticCall(found * step)
    if (BigInt(h[1]) > BigInt(blockNumber)) return undefined
    return { headerNumber: found * step, root: h[0] as string, start: BigInt(h[1]), end: BigInt(h[2]) }
  }

  async function findBurnLog(burnTxHash: string, route: BridgeRoute): Promise<Log> {
    const provider = await pol.provider()
    const receipt = await provider.getTransactionReceipt(burnTxHash)
    if (!receipt)
      throw new WithdrawalNotFoundError(`No transaction ${burnTxHash} on Polygon`, 'Check the hash')
    const emitter =
      route === 'tunnel'
        ? need(addresses.polygon.bridgedStos, 'bridged STOS')
        : need(addresses.polygon.childStos, 'PoS child STOS')
    const log = receipt.logs.find(
      (l) =>
        l.address.toLowerCase() === emitter.toLowerCase() &&
        (route === 'tunnel'
          ? l.topics[0] === MESSAGE_SENT_TOPIC
          : l.topics[0] === TRANSFER_TOPIC && l.topics[2] === ZeroHash),
    )
    if (!log) {
      throw new WithdrawalNotFoundError(
        `Transaction ${burnTxHash} holds no ${route} withdrawal`,
        'Pass the hash of the burn transaction and its route',
      )
    }
    return log
  }

  return {
    async deposit({ amount, to, route = 'tunnel' }) {
      const signer = await eth.signer()
      const recipient = toEvmAddress(to ?? (await signer.getAddress()))
      const stos = addresses.ethereum.stos
      let receipt: TransactionReceipt
      if (route === 'tunnel') {
        const tunnel = need(addresses.ethereum.rootTunnel, 'root tunnel')
        await ensureAllowance(eth, stos, tunnel, amount)
        const { contract } = await writer(eth, tunnel, 'StosRootTunnel')
        receipt = await send(contract, 'deposit', [recipient, amount], { token: true })
      } else {
        const predicate = need(addresses.ethereum.erc20Predicate, 'ERC20 predicate')
        await ensureAllowance(eth, stos, predicate, amount)
        const { contract } = await writer(
          eth,
          need(addresses.ethereum.rootChainManager, 'RootChainManager'),
          'RootChainManager',
        )
        receipt = await send(contract, 'depositFor', [recipient, stos, encodeDepositData(amount)], {
          token: true,
        })
      }
      const synced = receipt.logs.find((l) => l.topics[0] === STATE_SYNCED_TOPIC)
      return {
        hash: receipt.hash,
        blockNumber: receipt.blockNumber,
        route,
        stateId: synced ? BigInt(synced.topics[1]!) : undefined,
      }
    },

    async startWithdraw({ amount, to, route = 'tunnel' }) {
      let receipt: TransactionReceipt
      if (route === 'tunnel') {
        const { contract, from } = await writer(
          pol,
          need(addresses.polygon.bridgedStos, 'bridged STOS'),
          'BridgedStos',
        )
        receipt = await send(contract, 'withdrawTo', [toEvmAddress(to ?? from), amount])
      } else {
        const { contract } = await writer(
          pol,
          need(addresses.polygon.childStos, 'PoS child STOS'),
          'ChildStos',
        )
        receipt = await send(contract, 'withdraw', [amount])
      }
      const log = await findBurnLog(receipt.hash, route)
      return { hash: receipt.hash, blockNumber: receipt.blockNumber, route, logIndex: log.index }
    },

    async isWithdrawCheckpointed(burnTxHash) {
      const provider = await pol.provider()
      const receipt = await provider.getTransactionReceipt(burnTxHash)
      if (!receipt) return false
      return (await findCheckpoint(receipt.blockNumber)) !== undefined
    },

    async exitWithdraw({ burnTxHash, route = 'tunnel' }) {
      const log = await findBurnLog(burnTxHash, route)
      const checkpoint = await findCheckpoint(log.blockNumber)
      if (!checkpoint) {
        throw new NotCheckpointedError('NotCheckpointed', [BigInt(log.blockNumber)], undefined, undefined)
      }
      const rpc = (await pol.provider()) as unknown as RpcSender
      if (typeof rpc.send !== 'function') {
        throw new WithdrawalNotFoundError(
          'The Polygon provider cannot send raw JSON-RPC',
          'Use a JsonRpcProvider, a BrowserProvider or an EIP-1193 wallet',
        )
      }
      let payload: string
      try {
        payload = encodeExitPayload(
          await buildExitPayload({
            rpc,
            txHash: burnTxHash,
            logIndex: log.index,
            headerNumber: checkpoint.headerNumber,
            start: Number(checkpoint.start),
            end: Number(checkpoint.end),
            expectedRoot: checkpoint.root,
          }),
        )
      } catch (err) {
        throw new WithdrawalNotFoundError(
          `Cannot build the exit proof of ${burnTxHash}: ${(err as Error).message}`,
          'Check that the Polygon RPC serves the checkpointed blocks and their receipts',
          { cause: err },
        )
      }
      const receipt =
        route === 'tunnel'
          ? await send(
              (await writer(eth, need(addresses.ethereum.rootTunnel, 'root tunnel'), 'StosRootTunnel'))
                .contract,
              'receiveMessage',
              [payload],
              { token: true },
            )
          : await send(
              (
                await writer(
                  eth,
                  need(addresses.ethereum.rootChainManager, 'RootChainManager'),
                  'RootChainManager',
                )
              ).contract,
              'exit',
              [payload],
              { token: true },
            )
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },
  }
}
