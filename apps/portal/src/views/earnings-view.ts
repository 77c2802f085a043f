/**
 * Earnings: a wallet connected over EIP-1193 (or the node's own key), and the node's Proof of Traffic
 * figures: per epoch the traffic served, receipts, STOS pending, claimable and claimed, a chart over
 * time, and a claim button. A node without the traffic API yet gets an honest "not live yet".
 */
import { toStratosAddress } from '@stratos-edge/core'
import { html, type PropertyValues } from 'lit'
import {
  canClaim,
  chartColumns,
  claimEarnings,
  type EarningsState,
  epochRows,
  formatEpochLength,
  formatStos,
  loadEarnings,
  refreshPeriodMs,
  trafficApiOf,
} from '../earnings.ts'
import { plainError } from '../error-text.ts'
import { countOf, formatBytes } from '../format.ts'
import { bindOwnerApiOf, bindWallet } from '../owner-binding.ts'
import { PortalView } from './portal-view.ts'
import './traffic-chart.ts'

/** STOS for a decimal wei string, with the exact wei as the machine-readable value. */
function stos(wei: string) {
  return html`<data value=${wei}>${formatStos(wei)}</data>`
}

export class EarningsView extends PortalView {
  static override properties = {
    ...PortalView.properties,
    earnings: { state: true },
    claiming: { state: true },
    claimMessage: { state: true },
    claimError: { state: true },
    bindMessage: { state: true },
    bindError: { state: true },
  }
  declare earnings: EarningsState
  declare claiming: boolean
  declare claimMessage: string
  declare claimError: string
  declare bindMessage: string
  declare bindError: string
  private timer: ReturnType<typeof setTimeout> | undefined
  private readFrom: object | undefined
  private readonly onSettled = () => void this.refresh()

  constructor() {
    super()
    this.earnings = { kind: 'loading' }
    this.claiming = false
    this.claimMessage = ''
    this.claimError = ''
    this.bindMessage = ''
    this.bindError = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.schedule()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearTimeout(this.timer)
    this.timer = undefined
    this.listen(undefined)
  }

  /** Reads the figures again after a period that follows the epoch length (see `refreshPeriodMs`). */
  private schedule() {
    clearTimeout(this.timer)
    const epochMs = this.earnings.kind === 'live' ? this.earnings.summary.epochMs : undefined
    this.timer = setTimeout(() => void this.refresh(), refreshPeriodMs(epochMs))
  }

  /** Hears `traffic:settled` from the current node only (an event the node has once it has the API). */
  private listen(node: object | undefined) {
    const events = (n: object | undefined) =>
      n as
        | {
            addEventListener?(t: string, l: () => void): void
            removeEventListener?(t: string, l: () => void): void
          }
        | undefined
    events(this.readFrom)?.removeEventListener?.('traffic:settled', this.onSettled)
    this.readFrom = node
    if (trafficApiOf(node)) events(node)?.addEventListener?.('traffic:settled', this.onSettled)
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed)
    const node = this.session?.node
    if (node !== this.readFrom) {
      this.listen(node)
      void this.refresh()
    }
  }

  private async refresh(): Promise<void> {
    const node = this.session?.node
    if (node) this.earnings = await loadEarnings(node)
    // Every read (timed, after a claim, on `traffic:settled`) sets the next one.
    if (this.isConnected) this.schedule()
  }

  private async claim() {
    const api = trafficApiOf(this.session?.node)
    if (!api) return
    this.claiming = true
    this.claimMessage = ''
    this.claimError = ''
    try {
      this.claimMessage = await claimEarnings(api, this.wallet?.signer)
      await this.refresh()
    } catch (err) {
      this.claimError = plainError(err, 'claim', this.session?.online)
    } finally {
      this.claiming = false
    }
  }

  /** Connects the wallet, then binds the node to it (the wallet signs once; a node that knows it does not ask). */
  private async connectWallet() {
    const wallet = this.wallet
    if (!wallet) return
    await wallet.connect()
    const api = bindOwnerApiOf(this.session?.node)
    if (!api || !wallet.signer) return
    this.bindMessage = ''
    this.bindError = ''
    try {
      this.bindMessage = await bindWallet(api, wallet.signer)
    } catch (err) {
      this.bindError = plainError(err, 'bind', this.session?.online)
    }
  }

  private address(label: string, evm: string, id: string) {
    return html`<dt>${label}</dt><dd id=${id}><code class="wrap">${evm}</code><br /><code class="wrap">${toStratosAddress(evm)}</code></dd>`
  }

  private walletPart() {
    const wallet = this.wallet
    if (!wallet?.provider)
      return html`<p>No wallet found in this browser (an EIP-1193 wallet such as a browser extension). Your
        node's key earns and claims, and pays the claim's gas in POL; its address is above.</p>`
    if (wallet.account)
      return html`<p class="muted">Claims are sent from your wallet, which pays their gas. Rewards go to the
        account that served the traffic.</p>`
    return html`<p class="muted">Without a wallet, Claim is sent from your node's key, which pays the gas in
        POL. Connect a wallet to send it from there instead.</p>
      <button type="button" id="wallet-connect" @click=${this.connectWallet}>Connect wallet</button>`
  }

  private figures() {
    const e = this.earnings
    if (e.kind === 'loading') return html`<p>Reading your earnings…</p>`
    if (e.kind === 'not-live')
      return html`<p class="notice" id="earnings-not-live"><strong>Not live yet.</strong> Rewards are settled per
          epoch (about 10 minutes) by Proof of Traffic, which this node does not run yet. Until it does,
          nothing is earned or claimable. The traffic your node serves is already counted above.</p>`
    if (e.kind === 'failed')
      return html`<p class="error" role="alert" id="earnings-error">${plainError(e.error, 'earnings', this.session?.online)}</p>`
    const s = e.summary
    const rows = epochRows(s)
    return html`<dl class="facts" id="earnings-totals">
        ${this.address('Earning account', s.account, 'earning-account')}
        <dt>STOS pending</dt><dd id="stos-pending">${stos(s.pending)}</dd>
        <dt>Claimable</dt><dd id="stos-claimable">${stos(s.claimable)}</dd>
        <dt>Claimed</dt><dd id="stos-claimed">${stos(s.claimed)}</dd>
        ${s.balance !== undefined ? html`<dt>Balance on Polygon</dt><dd id="stos-balance">${stos(s.balance)}</dd>` : ''}
        <dt>Current epoch</dt><dd>${s.currentEpoch} (${formatEpochLength(s.epochMs)} each)</dd>
      </dl>
      <button type="button" id="claim" ?disabled=${!canClaim(s) || this.claiming} @click=${this.claim}>
        ${this.claiming ? 'Claiming…' : `Claim ${formatStos(s.claimable)}`}</button>
      <p id="claim-status" role="status">${this.claimMessage}</p>
      <p class="error" role="alert">${this.claimError}</p>
      <h3>Over time</h3>
      <traffic-chart .columns=${chartColumns(s)}></traffic-chart>
      <h3>Per epoch</h3>
      <div class="table-scroll" tabindex="0" role="region" aria-labelledby="epochs-caption">
        <table id="epochs">
          <caption class="visually-hidden" id="epochs-caption">Traffic and rewards per epoch, newest first</caption>
          <thead><tr><th scope="col">Epoch</th><th scope="col">Traffic served</th><th scope="col">Receipts</th>
            <th scope="col">STOS pending</th><th scope="col">Claimable</th><th scope="col">Claimed</th><th scope="col">State</th></tr></thead>
          <tbody>${
            rows.length === 0
              ? html`<tr><td colspan="7">No traffic served yet.</td></tr>`
              : rows.map(
                  (
                    r,
                  ) => html`<tr><th scope="row">${r.epoch}</th><td><data value=${r.bytesServed}>${formatBytes(r.bytesServed)}</data></td><td>${r.receipts}</td>
                    <td>${r.pending}</td><td>${r.claimable}</td><td>${r.claimed}</td><td>${r.state}</td></tr>`,
                )
          }</tbody>
        </table>
      </div>`
  }

  override render() {
    const stat = this.session?.stat
    return html`<section aria-labelledby="earnings-title">
      <h2 id="earnings-title">Earnings</h2>
      <dl class="facts">
        ${stat ? this.address("Your node's address", stat.ownerAddress, 'node-address') : ''}
        ${this.wallet?.account ? this.address('Connected wallet', this.wallet.account, 'wallet-address') : ''}
        <dt>Served by this node</dt><dd>${stat ? `${formatBytes(stat.served.bytes)} in ${countOf(stat.served.slices, 'slice')}` : '—'}</dd>
      </dl>
      ${this.walletPart()}
      <p class="error" role="alert">${this.wallet?.error ?? ''}</p>
      <p id="bind-status" role="status">${this.bindMessage}</p>
      <p class="error" role="alert" id="bind-error">${this.bindError}</p>
      ${this.figures()}
    </section>`
  }
}
customElements.define('earnings-view', EarningsView)
