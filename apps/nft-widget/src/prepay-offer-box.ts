/** The offer shown when the owner's ozone is short: what is missing, and Prepay / Not now buttons. */
import { formatBytes } from './byte-size.js'
import { h } from './dom.js'
import type { OzoneShortError } from './errors.js'
import { formatStos } from './ozone-offer.js'

/** The offer box and how the uploader drives it. */
export interface PrepayOfferBox {
  readonly element: HTMLDivElement
  /** Shows the offer; resolves true when the creator presses Prepay, false on Not now. */
  ask(short: OzoneShortError, amount: bigint): Promise<boolean>
  /** Shows a line of progress ("Waiting for your wallet…") with the buttons hidden. */
  busy(text: string): void
  hide(): void
}

/** Makes the (hidden) offer box. */
export function createPrepayOfferBox(): PrepayOfferBox {
  const text = h('p', { class: 'offer-text', part: 'prepay-text' })
  const accept = h('button', { type: 'button', part: 'button prepay' }, 'Prepay')
  const decline = h('button', { type: 'button', part: 'button decline' }, 'Not now')
  const element = h(
    'div',
    { class: 'offer', part: 'prepay-offer', role: 'group', 'aria-label': 'Prepay storage', hidden: true },
    text,
    accept,
    decline,
  )
  let answer: ((yes: boolean) => void) | undefined
  const settle = (yes: boolean) => {
    const done = answer
    answer = undefined
    done?.(yes)
  }
  accept.addEventListener('click', () => settle(true))
  decline.addEventListener('click', () => settle(false))
  return {
    element,
    ask(short, amount) {
      settle(false)
      const missing =
        short.shortfallBytes !== undefined ? `${formatBytes(Number(short.shortfallBytes))} more` : 'more'
      text.textContent = `Your prepaid storage does not cover this upload (${missing} is needed). Prepay ${formatStos(amount)} STOS on Polygon from your wallet, then the upload goes on.`
      accept.textContent = `Prepay ${formatStos(amount)} STOS and continue`
      accept.hidden = false
      decline.hidden = false
      element.hidden = false
      accept.focus()
      return new Promise<boolean>((resolve) => {
        answer = resolve
      })
    },
    busy(line) {
      text.textContent = line
      accept.hidden = true
      decline.hidden = true
      element.hidden = false
    },
    hide() {
      settle(false)
      element.hidden = true
    },
  }
}
