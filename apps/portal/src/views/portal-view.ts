/**
 * The base of the portal's views: lit elements rendered into the light DOM (so the page's one stylesheet
 * and the accessibility tree see plain HTML) that re-render when the node session or the wallet changes.
 */
import { LitElement, type PropertyValues } from 'lit'
import type { NodeSession } from '../node-session.ts'
import type { Wallet } from '../wallet.ts'

export class PortalView extends LitElement {
  static override properties = { session: { attribute: false }, wallet: { attribute: false } }
  declare session: NodeSession | undefined
  declare wallet: Wallet | undefined
  private readonly onChange = () => this.requestUpdate()

  protected override createRenderRoot(): HTMLElement {
    return this
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.session?.addEventListener('change', this.onChange)
    this.wallet?.addEventListener('change', this.onChange)
  }

  /** The session may arrive after the element is connected (the page sets it once the config is read). */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session')) {
      ;(changed.get('session') as NodeSession | undefined)?.removeEventListener('change', this.onChange)
      this.session?.addEventListener('change', this.onChange)
    }
    if (changed.has('wallet')) {
      ;(changed.get('wallet') as Wallet | undefined)?.removeEventListener('change', this.onChange)
      this.wallet?.addEventListener('change', this.onChange)
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.session?.removeEventListener('change', this.onChange)
    this.wallet?.removeEventListener('change', this.onChange)
  }
}

/** Copies text to the clipboard; false where the browser refuses (the text stays visible to copy by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    return false
  }
}
