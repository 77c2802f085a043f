/** The network status, always at the top: honest about an unreachable network, with a reconnect. */
import { html } from 'lit'
import { PortalView } from './portal-view.ts'

export class StatusBanner extends PortalView {
  declare busy: boolean
  static override properties = { ...PortalView.properties, busy: { state: true } }

  constructor() {
    super()
    this.busy = false
  }

  private async reconnect() {
    this.busy = true
    try {
      await this.session?.reconnect()
    } finally {
      this.busy = false
    }
  }

  override render() {
    const status = this.session?.status ?? { state: 'starting' as const }
    const text =
      status.state === 'starting'
        ? 'Connecting to the network…'
        : status.state === 'online'
          ? `Online: connected to ${status.resourceNodes} resource node${status.resourceNodes === 1 ? '' : 's'}.`
          : `Offline. ${status.reason}`
    return html`<div class="status status-${status.state}" role="status" aria-live="polite" id="network-status">
      <span class="status-dot" aria-hidden="true"></span>
      <span class="status-text">${text}</span>
      ${
        status.state === 'offline'
          ? html`<button type="button" id="reconnect" @click=${this.reconnect} ?disabled=${this.busy}>
              ${this.busy ? 'Reconnecting…' : 'Reconnect'}
            </button>`
          : ''
      }
    </div>`
  }
}
customElements.define('status-banner', StatusBanner)
