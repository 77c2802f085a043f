/** The portal's shell: header, the network status, a tab bar of the four views (routed by #hash). */
import { html, LitElement } from 'lit'
import type { NodeSession } from '../node-session.ts'
import type { Wallet } from '../wallet.ts'
import './status-banner.ts'
import './contribute-view.ts'
import './files-view.ts'
import './network-view.ts'
import './earnings-view.ts'

const VIEWS = [
  ['contribute', 'Contribute'],
  ['files', 'Files'],
  ['network', 'Network'],
  ['earnings', 'Earnings'],
] as const
type ViewName = (typeof VIEWS)[number][0]

function viewOf(hash: string): ViewName {
  const name = hash.replace(/^#/, '')
  return VIEWS.some(([v]) => v === name) ? (name as ViewName) : 'contribute'
}

export class PortalApp extends LitElement {
  static override properties = {
    session: { attribute: false },
    wallet: { attribute: false },
    view: { state: true },
  }
  declare session: NodeSession | undefined
  declare wallet: Wallet | undefined
  declare view: ViewName
  private readonly onHash = () => {
    this.view = viewOf(location.hash)
    this.querySelector<HTMLElement>('main h2')?.focus()
  }

  constructor() {
    super()
    this.view = viewOf(location.hash)
  }

  protected override createRenderRoot(): HTMLElement {
    return this
  }

  override connectedCallback(): void {
    super.connectedCallback()
    addEventListener('hashchange', this.onHash)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    removeEventListener('hashchange', this.onHash)
  }

  private current() {
    switch (this.view) {
      case 'contribute':
        return html`<contribute-view .session=${this.session} .wallet=${this.wallet}></contribute-view>`
      case 'files':
        return html`<files-view .session=${this.session} .wallet=${this.wallet}></files-view>`
      case 'network':
        return html`<network-view .session=${this.session} .wallet=${this.wallet}></network-view>`
      case 'earnings':
        return html`<earnings-view .session=${this.session} .wallet=${this.wallet}></earnings-view>`
    }
  }

  override render() {
    return html`<a class="skip" href="#main">Skip to content</a>
      <header class="site">
        <h1>Stratos Edge</h1>
        <p>Your browser as a storage node: it keeps slices of files, serves nearby browsers, and counts the traffic it serves.</p>
        <nav aria-label="Views">
          <ul>
            ${VIEWS.map(
              ([name, label]) =>
                html`<li><a href=${`#${name}`} aria-current=${this.view === name ? 'page' : 'false'}>${label}</a></li>`,
            )}
          </ul>
        </nav>
      </header>
      <status-banner .session=${this.session}></status-banner>
      <main id="main" tabindex="-1">${this.current()}</main>`
  }
}
customElements.define('portal-app', PortalApp)
