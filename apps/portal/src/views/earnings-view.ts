/**
 * Earnings: what exists today (a wallet connected over EIP-1193, the node's own address, the traffic it
 * served), and the place where per-epoch Proof of Traffic figures and the claim will go once that part
 * is built. It says plainly that they are not live yet.
 */
import { toStratosAddress } from '@stratos-edge/core'
import { html } from 'lit'
import { formatBytes } from '../format.ts'
import { PortalView } from './portal-view.ts'

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>
}

export class EarningsView extends PortalView {
  static override properties = {
    ...PortalView.properties,
    wallet: { state: true },
    walletError: { state: true },
  }
  declare wallet: string | undefined
  declare walletError: string

  constructor() {
    super()
    this.walletError = ''
  }

  private get provider(): Eip1193Provider | undefined {
    return (globalThis as { ethereum?: Eip1193Provider }).ethereum
  }

  private async connect() {
    this.walletError = ''
    try {
      const accounts = (await this.provider?.request({ method: 'eth_requestAccounts' })) as
        | string[]
        | undefined
      this.wallet = accounts?.[0]
      if (!this.wallet) this.walletError = 'The wallet shared no account.'
    } catch (err) {
      this.walletError = `The wallet refused: ${(err as Error).message}`
    }
  }

  private address(label: string, evm: string, id: string) {
    return html`<dt>${label}</dt><dd id=${id}><code class="wrap">${evm}</code><br /><code class="wrap">${toStratosAddress(evm)}</code></dd>`
  }

  override render() {
    const stat = this.session?.stat
    return html`<section aria-labelledby="earnings-title">
      <h2 id="earnings-title">Earnings</h2>
      <p class="notice" id="earnings-not-live"><strong>Not live yet.</strong> Rewards are settled per epoch
        (about 10 minutes) by Proof of Traffic, which is not built yet. Until it is, nothing is earned or
        claimable, and the figures below stay empty. The traffic your node serves is already counted.</p>
      <dl class="facts">
        ${stat ? this.address("Your node's address", stat.ownerAddress, 'node-address') : ''}
        ${this.wallet ? this.address('Connected wallet', this.wallet, 'wallet-address') : ''}
        <dt>Served by this node</dt><dd>${stat ? `${formatBytes(stat.served.bytes)} in ${stat.served.slices} slices` : '—'}</dd>
      </dl>
      ${
        this.provider
          ? this.wallet
            ? ''
            : html`<button type="button" id="wallet-connect" @click=${this.connect}>Connect wallet</button>`
          : html`<p>No wallet found in this browser (an EIP-1193 wallet such as a browser extension). Rewards
              would go to your node's address above.</p>`
      }
      <p class="error" role="alert">${this.walletError}</p>
      <h3>Per epoch</h3>
      <div class="table-scroll" tabindex="0" role="region" aria-labelledby="epochs-caption">
        <table id="epochs">
          <caption class="visually-hidden" id="epochs-caption">Rewards per epoch (not live yet)</caption>
          <thead><tr><th scope="col">Epoch</th><th scope="col">Traffic served</th><th scope="col">Receipts</th>
            <th scope="col">STOS pending</th><th scope="col">Claimable</th><th scope="col">Claimed</th></tr></thead>
          <tbody><tr><td colspan="6">No epoch settled yet.</td></tr></tbody>
        </table>
      </div>
      <button type="button" disabled aria-describedby="earnings-not-live">Claim STOS</button>
    </section>`
  }
}
customElements.define('earnings-view', EarningsView)
