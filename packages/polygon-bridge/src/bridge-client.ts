// Over 400 lines: one client factory whose deposit, withdraw, prepayment and reward calls share its chains and contracts.
import { toEvmAddress } from '@stratos-edge/core'
import {
  Contract,
  type InterfaceAbi,
  id,
  type Log,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
  ZeroHash,
} from 'ethers'
import type { BridgeAddresses } from './address-book.js'
import { buildExitPayload, encodeExitPayload, type RpcSender } from './checkpoint-proof.js'
import { type ChainConnection, type ResolvedChain, resolveChain } from './connection.js'
import { encodeDepositData } from './deploy.js'
import {
  decodeContractError,
  NotCheckpointedError,
  NotDeployedError,
  WithdrawalNotFoundError,
} from './errors.js'
import { artifacts } from './generated/artifacts.js'
import type { EpochRootValue } from './reward-signatures.js'
import { waitForMined } from './wait-for-receipt.js'

/** How STOS crosses: our FxPortal-style tunnel (works today: STOS is not mapped) or Polygon PoS mapping. */
export type BridgeRoute = 'tunnel' | 'pos'

/** Options of {@link createBridgeClient}. */
export interface BridgeClientInit {
  ethereum: ChainConnection
  polygon: ChainConnection
  addresses: BridgeAddresses
  /**
   * How long to wait for a sent transaction to be mined before failing with a `TransactionTimeoutError`;
   * default 5 minutes.
   */
  txTimeoutMs?: number
}

/** A sent and mined transaction. */
export interface TxResult {
  hash: string
  blockNumber: number
}

/** A deposit on Ethereum; `stateId` is the state-sync id that Polygon will deliver. */
export interface DepositResult extends TxResult {
  route: BridgeRoute
  stateId: bigint | undefined
}

/** A withdrawal burn on Polygon, to be exited on Ethereum after a checkpoint. */
export interface WithdrawStartResult extends TxResult {
  route: BridgeRoute
  logIndex: number
}

/** A prepayment as the chain records it. */
export interface Prepayment {
  paymentId: bigint
  payer: string
  beneficiary: string
  amount: bigint
  spent: bigint
  refunded: boolean
  paidAt: number
  txHash: string
  blockNumber: number
  logIndex: number
}

/** A posted epoch root. */
export interface EpochRootInfo {
  epoch: bigint
  root: string
  total: bigint
  claimed: bigint
  postedAt: number
}

/** A reward claim: the leaf and its proof from the epoch's reward tree. */
export interface RewardClaim {
  epoch: number | bigint
  /** `st1…` or `0x…`; the STOS goes to this account whoever sends the claim. */
  account: string
  amount: bigint
  proof: readonly string[]
}

/** The typed client over both chains. Amounts are STOS wei (18 decimals). Every revert throws a typed error. */
export interface BridgeClient {
  readonly addresses: BridgeAddresses
  /** STOS on Ethereum, or bridged STOS on Polygon (the payment token). */
  stosBalance(chain: 'ethereum' | 'polygon', account: string): Promise<bigint>
  /** Locks STOS on Ethereum (approving the tunnel or the PoS predicate first when needed). */
  deposit(init: { amount: bigint; to?: string; route?: BridgeRoute }): Promise<DepositResult>
  /** Burns on Polygon to start a withdrawal to `to` (tunnel) or to the sender (PoS). */
  startWithdraw(init: { amount: bigint; to?: string; route?: BridgeRoute }): Promise<WithdrawStartResult>
  /** True once a checkpoint on Ethereum covers the burn's block. */
  isWithdrawCheckpointed(burnTxHash: string): Promise<boolean>
  /** Proves the burn against its checkpoint and releases STOS on Ethereum. */
  exitWithdraw(init: { burnTxHash: string; route?: BridgeRoute }): Promise<TxResult>
  /** Prepays ozone for `beneficiary` (`st1…` or `0x…`): approve + prepay. */
  prepay(init: {
    beneficiary: string
    amount: bigint
  }): Promise<TxResult & { paymentId: bigint; logIndex: number }>
  /** Prepayments whose beneficiary is `account`, with their current settlement state. */
  prepaymentsOf(account: string, options?: { fromBlock?: number }): Promise<Prepayment[]>
  /** The settler (meta service) records that traffic used `spent` STOS of a prepayment in total. */
  settlePrepayment(paymentId: bigint, spent: bigint): Promise<TxResult>
  /** The payer takes back the unsettled rest of a prepayment (after the refund delay). */
  refundPrepayment(paymentId: bigint): Promise<TxResult & { amount: bigint }>
  /** The EIP-712 domain committee members sign epoch roots under (read from the contract, ERC-5267). */
  rewardsDomain(): Promise<TypedDataDomain>
  /** The posted root of `epoch`, or undefined. */
  epochRoot(epoch: number | bigint): Promise<EpochRootInfo | undefined>
  /** The last posted epoch (0 when none) and the running epoch. */
  epochs(): Promise<{ lastPosted: bigint; current: bigint }>
  /** Posts an epoch root with committee signatures (sorted ascending by signer). */
  postEpochRoot(init: EpochRootValue & { signatures: readonly string[] }): Promise<TxResult>
  /** Claims a reward with its Merkle proof. */
  claimReward(claim: RewardClaim): Promise<TxResult>
  isRewardClaimed(epoch: number | bigint, account: string): Promise<boolean>
}

const MESSAGE_SENT_TOPIC = id('MessageSent(bytes)')
const TRANSFER_TOPIC = id('Transfer(address,address,uint256)')
const STATE_SYNCED_TOPIC = id('StateSynced(uint256,address,bytes)')

function need(address: string | undefined, what: string): string {
  if (!address) {
    throw new NotDeployedError(
      `No ${what} address in the address book for this network`,
      'Deploy it and add it to the address book',
    )
  }
  return address
}

function abi(name: keyof typeof artifacts): InterfaceAbi {
  return artifacts[name].abi as unknown as InterfaceAbi
}

/**
 * Creates the bridge client.
 *
 * @example
 * ```ts
 * import { ADDRESS_BOOK, connectWithPrivateKey, createBridgeClient } from '@stratos-edge/polygon-bridge'
 *
 * const book = ADDRESS_BOOK.local
 * const client = createBridgeClient({
 *   ethereum: connectWithPrivateKey({ rpcUrl: 'http://127.0.0.1:8545', chainId: book.ethereum.chainId, privateKey }),
 *   polygon: connectWithPrivateKey({ rpcUrl: 'http://127.0.0.1:8546', chainId: book.polygon.chainId, privateKey }),
 *   addresses: book,
 * })
 * await client.deposit({ amount: 10n ** 18n })
 * await client.prepay({ beneficiary: 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd', amount: 10n ** 18n })
 * ```
 */
export function createBridgeClient(init: BridgeClientInit): BridgeClient {
  const { addresses } = init
  const eth = resolveChain(init.ethereum, addresses.ethereum.chainId, 'Ethereum')
  const pol = resolveChain(init.polygon, addresses.polygon.chainId, 'Polygon')

  async function reader(
    chain: ResolvedChain,
    address: string,
    name: keyof typeof artifacts,
  ): Promise<Contract> {
    return new Contract(address, abi(name), await chain.provider())
  }

  async function writer(
    chain: ResolvedChain,
    address: string,
    name: keyof typeof artifacts,
  ): Promise<{ contract: Contract; signer: Signer; from: string }> {
    const signer = await chain.signer()
    return { contract: new Contract(address, abi(name), signer), signer, from: await signer.getAddress() }
  }

  /** Sends, waits (bounded) until mined, and turns reverts into typed errors (token vs contract pauses). */
  async function send(
    contract: Contract,
    method: string,
    args: unknown[],
    pause: { token: boolean; pausable?: boolean } = { token: false },
  ): Promise<TransactionReceipt> {
    try {
      const tx = await contract.getFunction(method).send(...args)
      return await waitForMined(tx, init.txTimeoutMs === undefined ? {} : { timeoutMs: init.txTimeoutMs })
    } catch (err) {
      let tokenPaused = pause.token
      if (!tokenPaused && pause.pausable) {
        try {
          tokenPaused = !(await contract.getFunction('paused').staticCall())
        } catch {
          tokenPaused = false
        }
      } else if (!pause.pausable) {
        tokenPaused = true
      }
      throw decodeContractError(err, { tokenPaused })
    }
  }

  async function ensureAllowance(
    chain: ResolvedChain,
    token: string,
    spender: string,
    amount: bigint,
  ): Promise<void> {
    const { contract, from } = await writer(chain, token, 'TestStos')
    const allowance = (await contract.getFunction('allowance').staticCall(from, spender)) as bigint
    if (allowance >= amount) return
    await send(contract, 'approve', [spender, amount], { token: true })
  }

  let paymentToken: Promise<string> | undefined
  function getPaymentToken(): Promise<string> {
    paymentToken ??= reader(
      pol,
      need(addresses.polygon.storagePayments, 'StoragePayments'),
      'StoragePayments',
    ).then((c) => c.getFunction('token').staticCall() as Promise<string>)
    return paymentToken
  }

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
    addresses,

    async stosBalance(chain, account) {
      const token = chain === 'ethereum' ? addresses.ethereum.stos : await getPaymentToken()
      const c = await reader(chain === 'ethereum' ? eth : pol, token, 'TestStos')
      return (await c.getFunction('balanceOf').staticCall(toEvmAddress(account))) as bigint
    },

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

    async rewardsDomain() {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const d = await c.getFunction('eip712Domain').staticCall()
      const fields = Number(d[0])
      const domain: TypedDataDomain = {}
      if (fields & 1) domain.name = d[1] as string
      if (fields & 2) domain.version = d[2] as string
      if (fields & 4) domain.chainId = d[3] as bigint
      if (fields & 8) domain.verifyingContract = d[4] as string
      return domain
    },

    async epochRoot(epoch) {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const r = await c.getFunction('epochRoots').staticCall(BigInt(epoch))
      if (r[0] === ZeroHash) return undefined
      return {
        epoch: BigInt(epoch),
        root: r[0] as string,
        total: r[1] as bigint,
        claimed: r[2] as bigint,
        postedAt: Number(r[3]),
      }
    },

    async epochs() {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const [lastPosted, current] = await Promise.all([
        c.getFunction('lastEpoch').staticCall() as Promise<bigint>,
        c.getFunction('currentEpoch').staticCall() as Promise<bigint>,
      ])
      return { lastPosted, current }
    },

    async postEpochRoot({ epoch, root, total, signatures }) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.trafficRewards, 'TrafficRewards'),
        'TrafficRewards',
      )
      const receipt = await send(contract, 'postEpochRoot', [BigInt(epoch), root, total, [...signatures]], {
        token: false,
        pausable: true,
      })
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },

    async claimReward({ epoch, account, amount, proof }) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.trafficRewards, 'TrafficRewards'),
        'TrafficRewards',
      )
      const receipt = await send(
        contract,
        'claim',
        [BigInt(epoch), toEvmAddress(account), amount, [...proof]],
        {
          token: false,
          pausable: true,
        },
      )
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },

    async isRewardClaimed(epoch, account) {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      return (await c.getFunction('claimed').staticCall(BigInt(epoch), toEvmAddress(account))) as boolean
    },
  }
}
