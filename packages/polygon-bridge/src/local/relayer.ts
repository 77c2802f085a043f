import { readFile, writeFile } from 'node:fs/promises'
import { AbortedError } from '@stratos-edge/core'
import { Contract, Interface, type InterfaceAbi, type JsonRpcProvider, type Signer, toBeHex } from 'ethers'
import { buildCheckpointTree, fetchCheckpointHeaders } from '../checkpoint-proof.js'
import type { LocalDeployment } from '../deploy.js'
import { artifacts } from '../generated/artifacts.js'
import { waitForMined, waitForReceipt } from '../wait-for-receipt.js'

/** The system address Polygon's state syncer calls child contracts from. */
export const STATE_SYNCER = '0x0000000000000000000000000000000000001001'

/** Options of {@link createLocalRelayer}. */
export interface LocalRelayerInit {
  ethereum: JsonRpcProvider
  /** Must be anvil: delivery impersonates the state syncer (0x1001). */
  polygon: JsonRpcProvider
  addresses: LocalDeployment
  /** Owner of the local checkpoint manager (it plays the validators). */
  checkpointer: Signer
  /** Persist the relay cursor here (JSON), so a restarted chain pair is not relayed twice. */
  statePath?: string
  /** How long one delivery or checkpoint transaction may take to be mined; default 30 s. */
  txTimeoutMs?: number
  /** How long `stop()` waits for a running step to end after cancelling it; default 5 s. */
  stopTimeoutMs?: number
}

/** Plays Polygon's validators on two local chains: state sync down, checkpoints up. */
export interface LocalRelayer {
  /** Delivers every new `StateSynced` event to its receiver as 0x1001; resolves with the ids delivered. */
  syncState(): Promise<bigint[]>
  /** Checkpoints all child blocks since the last checkpoint; resolves with the new header number, if any. */
  checkpoint(): Promise<bigint | undefined>
  /** Runs both on a timer until `stop()`. */
  start(options?: { syncIntervalMs?: number; checkpointIntervalMs?: number }): void
  /**
   * Stops the timers and cancels the running step (its promise rejects with an `AbortedError`); resolves when
   * that step has ended, or after `stopTimeoutMs` if a node does not answer. The relayer can be used again.
   */
  stop(): Promise<void>
}

interface RelayState {
  lastStateId: string
  nextEthBlock: number
}

/** Creates the local relayer (see {@link LocalRelayer}). */
export function createLocalRelayer(init: LocalRelayerInit): LocalRelayer {
  const senderIface = new Interface(artifacts.LocalStateSender.abi as unknown as InterfaceAbi)
  const receiverIface = new Interface(artifacts.FxChild.abi as unknown as InterfaceAbi)
  const stateSynced = senderIface.getEvent('StateSynced')!
  const checkpointManager = new Contract(
    init.addresses.ethereum.checkpointManager,
    artifacts.LocalCheckpointManager.abi as unknown as InterfaceAbi,
    init.checkpointer,
  )
  let state: RelayState | undefined
  let impersonating = false
  let queue: Promise<unknown> = Promise.resolve()
  let controller = new AbortController()
  const txTimeoutMs = init.txTimeoutMs ?? 30_000
  const timers: ReturnType<typeof setInterval>[] = []

  async function loadState(): Promise<RelayState> {
    if (state) return state
    state = { lastStateId: '0', nextEthBlock: 0 }
    if (init.statePath) {
      try {
        state = JSON.parse(await readFile(init.statePath, 'utf8')) as RelayState
      } catch {}
    }
    return state
  }

  async function saveState(): Promise<void> {
    if (init.statePath && state) await writeFile(init.statePath, JSON.stringify(state))
  }

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn)
    queue = next.catch(() => undefined)
    return next
  }

  async function syncState(): Promise<bigint[]> {
    const { signal } = controller
    const s = await loadState()
    const head = await init.ethereum.getBlockNumber()
    if (head < s.nextEthBlock) return []
    const logs = await init.ethereum.getLogs({
      address: init.addresses.ethereum.stateSender,
      topics: [stateSynced.topicHash],
      fromBlock: s.nextEthBlock,
      toBlock: head,
    })
    const delivered: bigint[] = []
    for (const log of logs) {
      if (signal.aborted) throw signal.reason
      const parsed = senderIface.parseLog(log)!
      const stateId = parsed.args[0] as bigint
      if (stateId <= BigInt(s.lastStateId)) continue
      if (!impersonating) {
        await init.polygon.send('anvil_impersonateAccount', [STATE_SYNCER])
        await init.polygon.send('anvil_setBalance', [STATE_SYNCER, toBeHex(10n ** 21n)])
        impersonating = true
      }
      const data = receiverIface.encodeFunctionData('onStateReceive', [stateId, parsed.args[2]])
      const hash = (await init.polygon.send('eth_sendTransaction', [
        { from: STATE_SYNCER, to: parsed.args[1], data, gas: toBeHex(1_000_000) },
      ])) as string
      await waitForReceipt(init.polygon, hash, { timeoutMs: txTimeoutMs, signal })
      s.lastStateId = stateId.toString()
      delivered.push(stateId)
    }
    s.nextEthBlock = head + 1
    await saveState()
    return delivered
  }

  async function checkpoint(): Promise<bigint | undefined> {
    const { signal } = controller
    const current = (await checkpointManager.getFunction('currentHeaderBlock').staticCall()) as bigint
    const start =
      current === 0n
        ? 0
        : Number((await checkpointManager.getFunction('lastChildBlock').staticCall()) as bigint) + 1
    const end = await init.polygon.getBlockNumber()
    if (end < start) return undefined
    const tree = buildCheckpointTree(await fetchCheckpointHeaders(init.polygon, start, end))
    if (signal.aborted) throw signal.reason
    const tx = await checkpointManager.getFunction('submitCheckpoint').send(tree.root, start, end)
    await waitForMined(tx, { timeoutMs: txTimeoutMs, signal })
    return (await checkpointManager.getFunction('currentHeaderBlock').staticCall()) as bigint
  }

  return {
    syncState: () => serial(syncState),
    checkpoint: () => serial(checkpoint),
    start(options = {}) {
      const onError = (err: unknown): void => console.error('local relayer:', (err as Error).message)
      timers.push(setInterval(() => serial(syncState).catch(onError), options.syncIntervalMs ?? 1000))
      timers.push(
        setInterval(() => serial(checkpoint).catch(onError), options.checkpointIntervalMs ?? 10_000),
      )
    },
    async stop() {
      for (const t of timers) clearInterval(t)
      timers.length = 0
      controller.abort(new AbortedError('The local relayer was stopped'))
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        queue,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, init.stopTimeoutMs ?? 5000)
        }),
      ])
      clearTimeout(timer)
      controller = new AbortController()
    },
  }
}
