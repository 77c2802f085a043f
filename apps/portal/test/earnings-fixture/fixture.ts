// The Earnings view on a fake node session: `?live=1` gives the node the Proof of Traffic API (traffic,
// claim, traffic:settled) with one claimable epoch, and `bindOwner`; without it the node is one from before that API.
// The page's wallet is an EIP-1193 stand-in. Calls are recorded on `window.earningsFixture`.
import '../../src/portal.css'
import type { TrafficSummary } from '../../src/earnings.ts'
import type { EarningsView } from '../../src/views/earnings-view.ts'
import '../../src/views/earnings-view.ts'
import { createWallet } from '../../src/wallet.ts'

const STOS = 10n ** 18n
const account = '0x1a642f0e3c3af545e7acbd38b07251b3990914f1'
let summary: TrafficSummary = {
  account,
  network: 31337,
  currentEpoch: 14,
  epochMs: 600_000,
  epochs: [
    { epoch: 10, bytesServed: 2_000_000, receipts: 2, reward: STOS.toString(), state: 'claimed' },
    {
      epoch: 11,
      bytesServed: 12_500_000,
      receipts: 5,
      reward: ((STOS * 3n) / 2n).toString(),
      state: 'claimable',
    },
    { epoch: 12, bytesServed: 6_000_000, receipts: 3, reward: (STOS / 4n).toString(), state: 'settled' },
    { epoch: 13, bytesServed: 3_000_000, receipts: 1, reward: '0', state: 'submitted' },
    { epoch: 14, bytesServed: 500_000, receipts: 1, reward: '0', state: 'open' },
  ],
  pending: (STOS / 4n).toString(),
  claimable: ((STOS * 3n) / 2n).toString(),
  claimed: STOS.toString(),
  balance: (STOS * 7n).toString(),
}
const record = { claims: [] as unknown[], binds: [] as unknown[], trafficCalls: 0 }
const live = new URLSearchParams(location.search).get('live') === '1'
const events = new EventTarget()
const node = {
  stat: async () => ({}),
  addEventListener: events.addEventListener.bind(events),
  removeEventListener: events.removeEventListener.bind(events),
  ...(live
    ? {
        async traffic() {
          record.trafficCalls++
          return summary
        },
        async claim(options?: { signer?: unknown }) {
          record.claims.push({ withSigner: options?.signer !== undefined })
          const claimable = summary.claimable
          summary = {
            ...summary,
            epochs: summary.epochs.map((e) => (e.state === 'claimable' ? { ...e, state: 'claimed' } : e)),
            claimed: (BigInt(summary.claimed) + BigInt(claimable)).toString(),
            claimable: '0',
            balance: (BigInt(summary.balance ?? '0') + BigInt(claimable)).toString(),
          }
          return { epochs: [11], amount: claimable, txHashes: ['0x01'] }
        },
        async bindOwner(options: { signer: unknown }) {
          record.binds.push({ withSigner: options.signer !== undefined })
          return { owner: '0x2b5ad5c4795c026514f8317c7a215e218dccd6cf', node: account, outcome: 'accepted' }
        },
      }
    : {}),
}
const session = {
  node,
  stat: { ownerAddress: account, served: { bytes: 24_000_000, slices: 12 } },
  online: true,
  addEventListener() {},
  removeEventListener() {},
}
const wallet = createWallet({
  async request({ method }) {
    if (method === 'eth_requestAccounts') return ['0x2b5ad5c4795c026514f8317c7a215e218dccd6cf']
    throw new Error(`unsupported ${method}`)
  },
})
const view = document.querySelector('earnings-view') as EarningsView
view.session = session as unknown as EarningsView['session']
view.wallet = wallet
;(window as unknown as { earningsFixture: unknown }).earningsFixture = {
  record,
  settle: () =>
    events.dispatchEvent(new CustomEvent('traffic:settled', { detail: { epoch: 12, reward: '1' } })),
}
