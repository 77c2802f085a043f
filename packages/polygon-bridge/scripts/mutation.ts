// Mutation check: removes each on-chain check one at a time, recompiles, runs the test file that covers it
// against anvil, and records which tests then fail. Every mutation must be "killed" (a test fails).
// Usage: npm run mutation -w @stratos-edge/polygon-bridge [-- <mutation id filter>]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { compileContracts, contractsDir, packageDir } from './solc-compile.js'

interface Mutation {
  id: string
  /** The rejection the removed check implements. */
  rejection: string
  file: string
  find: string
  replace: string
  test: string
}

const rewards = 'polygon/TrafficRewards.sol'
const payments = 'polygon/StoragePayments.sol'
const reader = 'common/PolygonExitReader.sol'
const M: Mutation[] = [
  {
    id: 'rewards-double-claim',
    rejection: 'double claim',
    file: rewards,
    find: 'if (claimed[epoch][account]) revert AlreadyClaimed(epoch, account);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-stale-epoch',
    rejection: 'stale epoch',
    file: rewards,
    find: 'if (epoch <= lastEpoch) revert StaleEpoch(epoch, lastEpoch);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-future-epoch',
    rejection: 'future epoch',
    file: rewards,
    find: 'if (epoch >= running) revert FutureEpoch(epoch, running);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-wrong-signer',
    rejection: 'wrong signer',
    file: rewards,
    find: 'if (!isCommitteeMember[signer]) revert NotCommitteeMember(signer);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-cross-chain-replay',
    rejection: 'cross-chain replay (chain id not bound in the EIP-712 domain)',
    file: rewards,
    find: 'block.chainid',
    replace: 'uint256(1)',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-duplicate-signer',
    rejection: 'the same member signing twice (M of N)',
    file: rewards,
    find: 'if (signer <= previous) revert SignersNotAscending(signer);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-threshold',
    rejection: 'fewer than M signatures',
    file: rewards,
    find: 'if (signatures.length < threshold) revert NotEnoughSignatures(signatures.length, threshold);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-invalid-proof',
    rejection: 'claim with a wrong amount/proof',
    file: rewards,
    find: 'if (!MerkleProof.verifyCalldata(proof, r.root, leaf)) revert InvalidProof();',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-unfunded-root',
    rejection: 'root whose total the pool cannot cover',
    file: rewards,
    find: 'if (reserved + total > balance) revert InsufficientRewardFunds(reserved + total, balance);',
    replace: '',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'rewards-pause',
    rejection: 'claim while paused',
    file: rewards,
    find: 'function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external whenNotPaused {',
    replace:
      'function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external {',
    test: 'test/traffic-rewards.node.test.ts',
  },
  {
    id: 'payments-pause',
    rejection: 'prepay while paused',
    file: payments,
    find: 'function prepay(address beneficiary, uint256 amount) external whenNotPaused nonReentrant',
    replace: 'function prepay(address beneficiary, uint256 amount) external nonReentrant',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'payments-refund-too-early',
    rejection: 'refund before the refund delay',
    file: payments,
    find: 'if (block.timestamp < availableAt) revert RefundTooEarly(availableAt);',
    replace: '',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'payments-refund-not-payer',
    rejection: 'refund by someone other than the payer',
    file: payments,
    find: 'if (msg.sender != p.payer) revert NotPayer(msg.sender);',
    replace: '',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'payments-double-refund',
    rejection: 'second refund / settle after refund',
    file: payments,
    find: 'if (p.refunded) revert PaymentClosed(id);',
    replace: '',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'payments-treasury-limit',
    rejection: 'treasury taking unsettled STOS',
    file: payments,
    find: 'if (amount > settledBalance) revert ExceedsSettledBalance(amount, settledBalance);',
    replace: 'if (amount > settledBalance) settledBalance = amount;',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'payments-settle-range',
    rejection: 'settling more than paid or downwards',
    file: payments,
    find: 'if (spent < p.spent || spent > p.amount) revert SpentOutOfRange(spent, p.spent, p.amount);',
    replace: '',
    test: 'test/storage-payments.node.test.ts',
  },
  {
    id: 'exit-replay',
    rejection: 'exit replay (double release on Ethereum)',
    file: reader,
    find: 'if (processedExits[exitId]) revert ExitAlreadyProcessed(exitId);',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'exit-forged-receipt',
    rejection: 'exit with a receipt the receipts trie does not hold (inflated amount)',
    file: reader,
    find: 'revert InvalidReceiptProof();',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'exit-block-proof',
    rejection: 'exit from a block the checkpoint does not commit to',
    file: reader,
    find: 'if (node != root) revert InvalidBlockProof();',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'exit-not-checkpointed',
    rejection: 'exit against a checkpoint that does not exist (both lookup checks removed)',
    file: reader,
    find: `if (root == bytes32(0)) revert UnknownCheckpoint(headerNumber);
        if (blockNumber < start || blockNumber > end) revert BlockNotInCheckpoint(blockNumber, start, end);`,
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'exit-branch-mask',
    rejection: 'replay through another hex-prefix encoding of the same receipt path',
    file: reader,
    find: 'if (branchMask.length < 2 || branchMask[0] != 0x00) revert InvalidBranchMask();',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'tunnel-wrong-emitter',
    rejection: 'burn from an impostor child tunnel',
    file: 'ethereum/StosRootTunnel.sol',
    find: 'if (emitter != childTunnel) revert WrongEmitter(emitter);',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'child-only-state-syncer',
    rejection: 'state delivered by anyone but 0x1001',
    file: 'local/FxChild.sol',
    find: 'if (msg.sender != STATE_SYNCER) revert OnlyStateSyncer();',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
  {
    id: 'child-tunnel-root-sender',
    rejection: 'mint for a message from another root sender',
    file: 'polygon/BridgedStos.sol',
    find: 'if (rootMessageSender != rootTunnel) revert NotRootTunnel(rootMessageSender);',
    replace: '',
    test: 'test/tunnel.node.test.ts',
  },
]

const vitestEntry = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

interface VitestJson {
  testResults: { assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[]
}

function runTests(testFile: string, overridesPath: string | undefined): { ok: boolean; failed: string[] } {
  const out = join(tmpdir(), `mutation-${process.pid}-${Date.now()}.json`)
  const r = spawnSync(
    process.execPath,
    [vitestEntry, 'run', testFile, '--reporter=json', `--outputFile=${out}`],
    {
      cwd: packageDir,
      env: { ...process.env, ...(overridesPath ? { BRIDGE_BYTECODE_OVERRIDES: overridesPath } : {}) },
      encoding: 'utf8',
      timeout: 300_000,
    },
  )
  let failed: string[] = []
  try {
    const json = JSON.parse(readFileSync(out, 'utf8')) as VitestJson
    failed = json.testResults.flatMap((f) =>
      f.assertionResults
        .filter((a) => a.status === 'failed')
        .map((a) => `${a.fullName} — ${(a.failureMessages?.[0] ?? '').split('\n')[0]!.slice(0, 160)}`),
    )
    rmSync(out, { force: true })
  } catch {
    failed = [`(no report: exit ${r.status}) ${r.stderr.slice(-500)}`]
  }
  return { ok: r.status === 0, failed }
}

const filter = process.argv[2]
const selected = M.filter((m) => !filter || m.id.includes(filter))
const dir = mkdtempSync(join(tmpdir(), 'bridge-mutation-'))
const rows: string[] = []
let survived = 0
const baselines = new Map<string, boolean>()
for (const m of selected) {
  if (!baselines.has(m.test)) {
    const base = runTests(m.test, undefined)
    baselines.set(m.test, base.ok)
    console.log(`baseline ${m.test}: ${base.ok ? 'pass' : `FAIL ${base.failed.join('; ')}`}`)
    if (!base.ok) process.exit(1)
  }
  const source = readFileSync(join(contractsDir, m.file), 'utf8')
  if (!source.includes(m.find)) throw new Error(`${m.id}: check not found in ${m.file}: ${m.find}`)
  const mutated = source.split(m.find).join(m.replace)
  const compiled = compileContracts({ [m.file]: mutated })
  const overrides = Object.fromEntries(Object.entries(compiled).map(([name, c]) => [name, c.bytecode]))
  const path = join(dir, `${m.id}.json`)
  writeFileSync(path, JSON.stringify(overrides))
  const started = performance.now()
  const result = runTests(m.test, path)
  const killed = !result.ok && result.failed.length > 0
  if (!killed) survived++
  console.log(
    `${killed ? 'killed  ' : 'SURVIVED'} ${m.id} (${Math.round(performance.now() - started)} ms): ${result.failed.join(' | ')}`,
  )
  rows.push(
    `| ${m.id} | ${m.rejection} | \`${m.file}\` | ${killed ? 'killed' : '**survived**'} | ${result.failed
      .map((f) => f.replace(/\|/g, '\\|'))
      .join('<br>')} |`,
  )
}
rmSync(dir, { recursive: true, force: true })
if (!filter) {
  const report = [
    '# Mutation report',
    '',
    'Generated by `npm run mutation -w @stratos-edge/polygon-bridge` (scripts/mutation.ts): each row removes one',
    'check from a contract, recompiles with solc-js, redeploys on fresh anvil chains and runs the named test',
    'file. "killed" means at least one test failed with the check removed; the failing tests are listed. The',
    'unmutated baseline of every test file passed first.',
    '',
    '| mutation | rejection | contract | result | failing tests |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `${selected.length - survived} of ${selected.length} mutations killed.`,
    '',
  ].join('\n')
  writeFileSync(join(packageDir, 'mutation-report.md'), report)
}
console.log(`${selected.length - survived} of ${selected.length} mutations killed`)
process.exit(survived === 0 ? 0 : 1)
