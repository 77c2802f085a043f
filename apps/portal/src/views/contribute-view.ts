/**
 * Contribute: how much browser storage to give, in the units the browser itself labels sizes with,
 * bounded by what `navigator.storage.estimate()` says this site may use; start and stop; whether the
 * browser keeps the data for good, and what that means.
 */
import { html } from 'lit'
import { BUDGET_UNITS, type BudgetUnit, parseBudget } from '../budget.ts'
import { plainError } from '../error-text.ts'
import { countOf, formatBytes } from '../format.ts'
import { PortalView } from './portal-view.ts'

interface Estimate {
  quota?: number
  usage?: number
  /** `navigator.storage.persisted()`: whether the browser already keeps this origin's data for good. */
  persisted?: boolean
}

export class ContributeView extends PortalView {
  static override properties = {
    ...PortalView.properties,
    estimate: { state: true },
    error: { state: true },
    message: { state: true },
    busy: { state: true },
  }
  declare estimate: Estimate | undefined
  declare error: string
  declare message: string
  declare busy: boolean

  constructor() {
    super()
    this.error = ''
    this.message = ''
    this.busy = false
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.readEstimate()
  }

  private async readEstimate() {
    try {
      const estimate = (await navigator.storage?.estimate?.()) ?? {}
      const persisted = await navigator.storage?.persisted?.()
      this.estimate = { ...estimate, ...(persisted === undefined ? {} : { persisted }) }
    } catch {
      this.estimate = {}
    }
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const text = (form.elements.namedItem('budget') as HTMLInputElement).value
    const unit = (form.elements.namedItem('unit') as HTMLSelectElement).value as BudgetUnit
    const parsed = parseBudget(text, unit, this.estimate?.quota)
    if (!parsed.ok) {
      this.error = parsed.error
      this.message = ''
      return
    }
    await this.apply(parsed.bytes, `Contributing ${formatBytes(parsed.bytes)}.`)
  }

  private async apply(bytes: number, message: string) {
    const node = this.session?.node
    if (!node) {
      this.error = 'The node is not running: reconnect first.'
      return
    }
    this.busy = true
    this.error = ''
    try {
      await node.contribute({ bytes })
      this.message = message
      await this.session?.refresh()
      await this.readEstimate()
    } catch (err) {
      this.error = plainError(err, 'contribute', this.session?.online)
    } finally {
      this.busy = false
    }
  }

  private persistence(persisted: boolean | undefined) {
    if (persisted === undefined)
      return html`<p>This browser does not say whether it keeps this site's data for good.</p>`
    return persisted
      ? html`<p><strong>Persistent storage: granted.</strong> The browser will not clear these slices when the
          disk runs low; only you can, from this page or the browser's site settings.</p>`
      : html`<p><strong>Persistent storage: not granted.</strong> The browser may clear this site's storage when
          the disk runs low. You would lose the slices kept for others (not your own files: the resource nodes
          keep those). Chromium grants it by itself, without asking, to sites you bookmark, install or use often;
          you can still contribute without it.</p>`
  }

  override render() {
    const stat = this.session?.stat
    const store = stat?.store
    const quota = this.estimate?.quota
    const contributing = store !== undefined && store.budgetBytes > store.pinnedBytes
    return html`<section aria-labelledby="contribute-title">
      <h2 id="contribute-title">Contribute storage</h2>
      <p>Give part of this browser's storage to the network. Your node keeps slices of other people's files and
        serves them to nearby browsers while this page is open.</p>
      <p id="quota">
        ${
          quota === undefined
            ? 'This browser does not say how much it lets this site store.'
            : `This browser lets this site store up to ${formatBytes(quota)}; ${formatBytes(this.estimate?.usage ?? 0)} is in use now.`
        }
      </p>
      <form id="contribute-form" @submit=${this.submit} novalidate>
        <label for="budget">Storage to give</label>
        <div class="inline">
          <input id="budget" name="budget" inputmode="decimal" autocomplete="off" value="2"
            aria-describedby="quota budget-error" aria-invalid=${this.error ? 'true' : 'false'} />
          <select id="budget-unit" name="unit" aria-label="Unit">
            ${Object.keys(BUDGET_UNITS).map((u) => html`<option ?selected=${u === 'GB'}>${u}</option>`)}
          </select>
          <button type="submit" ?disabled=${this.busy}>${contributing ? 'Change budget' : 'Start contributing'}</button>
          ${
            contributing
              ? html`<button type="button" id="contribute-stop" ?disabled=${this.busy}
                  @click=${() => this.apply(0, 'Stopped: slices kept for others were removed; your own files stay.')}>
                  Stop contributing</button>`
              : ''
          }
        </div>
        <p id="budget-error" class="error" role="alert">${this.error}</p>
      </form>
      <p id="contribute-status" role="status">${this.message}</p>
      ${
        store
          ? html`<dl class="facts">
              <dt>Storage given</dt><dd id="budget-given">${contributing ? formatBytes(store.budgetBytes) : 'none'}</dd>
              <dt>Kept for others</dt><dd>${formatBytes(store.cachedBytes)}</dd>
              <dt>Your own files here</dt><dd>${formatBytes(store.pinnedBytes)} in ${store.files} files</dd>
              <dt>Served to others</dt><dd>${formatBytes(stat.served.bytes)} in ${countOf(stat.served.slices, 'slice')}</dd>
            </dl>`
          : ''
      }
      ${this.persistence(stat?.persisted ?? this.estimate?.persisted)}
    </section>`
  }
}
customElements.define('contribute-view', ContributeView)
