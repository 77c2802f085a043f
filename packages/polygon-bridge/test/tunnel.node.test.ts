import { verifyMerkleProof } from '@ethereumjs/mpt'
import { AbiCoder, type Contract, getBytes, hexlify, type JsonRpcProvider, keccak256, toBeHex } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BridgeClient, createBridgeClient } from '../src/bridge-client.js'
import { buildExitPayload, type ExitPayloadInit, encodeExitPayload } from '../src/checkpoint-proof.js'
import type { Eip1193Provider } from '../src/connection.js'
import { decodeContractError } from '../src/errors.js'
import { buildReceiptTrie, encodeReceipt, receiptTrieKey } from '../src/receipt-trie.js'
import {
  contractAt,
  deployArtifact,
  expectErrorNamed,
  expectRevert,
  STOS,
  startTestChains,
  type TestChains,
} from './helpers.js'

async function call(c: Contract, method: string, args: unknown[] = []): Promise<void> {
  try {
    await (await c.getFunction(method).send(...args)).wait()
  } catch (err) {
    throw decodeContractError(err)
  }
}

/** A wallet-like EIP-1193 provider over the two anvils (their dev accounts are unlocked), switching chains. */
function fakeWallet(rpc: Record<number, JsonRpcProvider>, account: string, start: number) {
  let current = start
  const switches: number[] = []
  const provider: Eip1193Provider = {
    async request({ method, params }) {
      if (method === 'eth_chainId') return toBeHex(current)
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [account]
      if (method === 'wallet_switchEthereumChain') {
        current = Number((params as [{ chainId: string }])[0].chainId)
        switches.push(current)
        return null
      }
      return rpc[current]!.send(method, (params as unknown[]) ?? [])
    },
  }
  return { provider, switches }
}

describe('tunnel and PoS exits: rejections', () => {
  let chains: TestChains
  let user: BridgeClient

  beforeAll(async () => {
    chains = await startTestChains()
    user = createBridgeClient({
      ethereum: chains.ethWallet(1),
      polygon: chains.polWallet(1),
      addresses: chains.addresses,
    })
    await user.deposit({ amount: 50n * STOS })
    await chains.relayer.syncState()
  })
  afterAll(async () => {
    await chains?.stop()
  })

  it('only the state syncer (0x1001) delivers, only FxChild mints, only from our root tunnel', async () => {
    const fxChild = contractAt('FxChild', chains.addresses.polygon.fxChild, chains.polWallet(2))
    const forged = AbiCoder.defaultAbiCoder().encode(
      ['address', 'address', 'bytes'],
      [
        chains.addresses.ethereum.rootTunnel,
        chains.addresses.polygon.bridgedStos,
        AbiCoder.defaultAbiCoder().encode(
          ['address', 'address', 'uint256'],
          [chains.accounts[2]!.address, chains.accounts[2]!.address, STOS],
        ),
      ],
    )
    await expectRevert(() => call(fxChild, 'onStateReceive', [1n, forged]), 'OnlyStateSyncer')
    const bridged = contractAt('BridgedStos', chains.addresses.polygon.bridgedStos, chains.polWallet(2))
    await expectRevert(
      () => call(bridged, 'processMessageFromRoot', [1n, chains.addresses.ethereum.rootTunnel, '0x']),
      'NotFxChild',
    )
    // Anyone may use FxRoot, but a message to the child tunnel from another root sender mints nothing.
    const fxRoot = contractAt('FxRoot', chains.addresses.ethereum.fxRoot, chains.ethWallet(2))
    const payload = AbiCoder.defaultAbiCoder().encode(
      ['address', 'address', 'uint256'],
      [chains.accounts[2]!.address, chains.accounts[2]!.address, 1000n * STOS],
    )
    await call(fxRoot, 'sendMessageToChild', [chains.addresses.polygon.bridgedStos, payload])
    expect(await chains.relayer.syncState()).toHaveLength(1)
    expect(await user.stosBalance('polygon', chains.accounts[2]!.address)).toBe(0n)
  })

  it('rejects forged exit proofs, replayed exits and a burn from an impostor child tunnel', async () => {
    const burn = await user.startWithdraw({ amount: 5n * STOS })
    // An impostor "child tunnel" whose FxChild is the attacker: it can mint and burn at will.
    const attacker = chains.polWallet(3)
    const impostor = await deployArtifact(attacker, 'BridgedStos', [attacker.address])
    await call(impostor, 'setRootTunnel', [chains.addresses.ethereum.rootTunnel])
    await call(impostor, 'processMessageFromRoot', [
      1n,
      chains.addresses.ethereum.rootTunnel,
      AbiCoder.defaultAbiCoder().encode(
        ['address', 'address', 'uint256'],
        [attacker.address, attacker.address, 40n * STOS],
      ),
    ])
    const fakeBurn = await (
      await impostor.getFunction('withdrawTo').send(attacker.address, 40n * STOS)
    ).wait()
    const header = await chains.relayer.checkpoint()
    expect(header).toBeDefined()
    const cm = contractAt('LocalCheckpointManager', chains.addresses.ethereum.checkpointManager, chains.eth)
    const h = await cm.getFunction('headerBlocks').staticCall(header)
    const partsFor = (txHash: string, logIndex: number) =>
      buildExitPayload({
        rpc: chains.pol,
        txHash,
        logIndex,
        headerNumber: header!,
        start: Number(h[1]),
        end: Number(h[2]),
        expectedRoot: h[0],
      })
    const tunnel = contractAt('StosRootTunnel', chains.addresses.ethereum.rootTunnel, chains.ethWallet(3))
    const exit = (p: ExitPayloadInit) => call(tunnel, 'receiveMessage', [encodeExitPayload(p)])
    // The impostor's burn is in the checkpoint, but it is not our child tunnel.
    const fakeLog = fakeBurn!.logs.find((l) => l.topics.length === 1)!
    await expectRevert(async () => exit(await partsFor(fakeBurn!.hash, fakeLog.index)), 'WrongEmitter')
    const honest = await partsFor(burn.hash, burn.logIndex)
    // A bigger amount in the receipt: the receipt proof no longer matches the block's receipts root.
    const amountHex = (5n * STOS).toString(16)
    // The burn's Transfer log and the MessageSent log both hold it; inflate the message (the last one).
    const at = honest.receipt.lastIndexOf(amountHex)
    expect(at).toBeGreaterThan(0)
    const inflated = {
      ...honest,
      receipt: `${honest.receipt.slice(0, at)}${(9n * STOS).toString(16)}${honest.receipt.slice(at + amountHex.length)}`,
    }
    await expectErrorNamed(() => exit(inflated), 'InvalidExitProofError')
    // A block that is not the one the checkpoint committed to (other time).
    await expectRevert(() => exit({ ...honest, blockTime: honest.blockTime + 1n }), 'InvalidBlockProof')
    // A checkpoint that does not exist.
    await expectErrorNamed(() => exit({ ...honest, headerNumber: 20_000n }), 'NotCheckpointedError')
    // A hex-prefix path variant of the same key (the malleability FxPortal hashes nibbles for) is refused.
    await expectRevert(
      () => exit({ ...honest, branchMask: `0x20${honest.branchMask.slice(4)}` }),
      'InvalidBranchMask',
    )
    // The honest exit works once; anyone replaying it is refused.
    const before = await user.stosBalance('ethereum', chains.accounts[1]!.address)
    await exit(honest)
    expect(await user.stosBalance('ethereum', chains.accounts[1]!.address)).toBe(before + 5n * STOS)
    await expectErrorNamed(() => exit(honest), 'ExitAlreadyProcessedError')
  })

  it("builds receipts tries equal to anvil blocks' receiptsRoot, for blocks with several transactions", async () => {
    // Several transactions in one block: stop automining, send, mine once.
    await chains.pol.send('evm_setAutomine', [false])
    const senders = [1, 2, 3].map((i) => chains.polWallet(i))
    const hashes: string[] = []
    // 18 transactions: keys rlp(0)=0x80, 0x01…0x11, so the trie has a branch under a branch.
    for (const w of senders) {
      const nonce = await chains.pol.getTransactionCount(await w.getAddress())
      for (let k = 0; k < 6; k++) {
        const tx = await w.sendTransaction({ to: chains.accounts[9]!.address, value: 1n, nonce: nonce + k })
        hashes.push(tx.hash)
      }
    }
    await chains.pol.send('evm_mine', [])
    await chains.pol.send('evm_setAutomine', [true])
    const receipt = await chains.pol.getTransactionReceipt(hashes[17]!)
    const block = (await chains.pol.send('eth_getBlockByNumber', [
      `0x${receipt!.blockNumber.toString(16)}`,
      false,
    ])) as {
      receiptsRoot: string
      transactions: string[]
    }
    expect(block.transactions).toHaveLength(18)
    const encoded: string[] = []
    for (const hash of block.transactions)
      encoded.push(encodeReceipt(await chains.pol.send('eth_getTransactionReceipt', [hash])))
    const trie = await buildReceiptTrie(encoded)
    expect(trie.root).toBe(block.receiptsRoot)
    for (const [i, receipt] of encoded.entries()) {
      // Each proof starts at the block's receipts root and leads to that receipt.
      const proof = await trie.proof(i)
      expect(keccak256(proof[0]!)).toBe(block.receiptsRoot)
      const found = await verifyMerkleProof(
        getBytes(receiptTrieKey(i)),
        proof.map((n) => getBytes(n)),
      )
      expect(found && hexlify(found)).toBe(receipt)
    }
    await expect(trie.proof(18)).rejects.toThrow(/no receipt 18/)
  })

  it('while STOS is paused on Ethereum a deposit fails with TokenPausedError and locks nothing', async () => {
    const stos = contractAt('TestStos', chains.addresses.ethereum.stos, chains.ethWallet(0))
    const lockedBefore = await user.stosBalance('ethereum', chains.addresses.ethereum.rootTunnel)
    await call(stos, 'pause')
    await expectErrorNamed(() => user.deposit({ amount: STOS }), 'TokenPausedError')
    await call(stos, 'unpause')
    expect(await user.stosBalance('ethereum', chains.addresses.ethereum.rootTunnel)).toBe(lockedBefore)
  })

  it('works through one EIP-1193 wallet that switches between the two chains', async () => {
    const account = chains.accounts[4]!.address
    const { provider, switches } = fakeWallet(
      { [chains.ethereum.chainId]: chains.eth, [chains.polygon.chainId]: chains.pol },
      account,
      chains.polygon.chainId,
    )
    const wallet = createBridgeClient({
      ethereum: { eip1193: provider },
      polygon: { eip1193: provider },
      addresses: chains.addresses,
    })
    await wallet.deposit({ amount: 3n * STOS })
    await chains.relayer.syncState()
    const paid = await wallet.prepay({ beneficiary: account, amount: 2n * STOS })
    expect(paid.paymentId).toBeGreaterThan(0n)
    expect(await wallet.stosBalance('polygon', account)).toBe(1n * STOS)
    expect(switches).toEqual([chains.ethereum.chainId, chains.polygon.chainId])
  })

  it('a read-only provider cannot send, and a wrong chain is refused', async () => {
    const readOnly = createBridgeClient({
      ethereum: chains.eth,
      polygon: chains.pol,
      addresses: chains.addresses,
    })
    expect(await readOnly.stosBalance('polygon', chains.accounts[1]!.address)).toBeGreaterThan(0n)
    await expectErrorNamed(
      () => readOnly.prepay({ beneficiary: chains.accounts[1]!.address, amount: 1n }),
      'NoSignerError',
    )
    const crossed = createBridgeClient({
      ethereum: chains.pol,
      polygon: chains.eth,
      addresses: chains.addresses,
    })
    await expectErrorNamed(() => crossed.epochs(), 'WrongChainError')
  })
})
