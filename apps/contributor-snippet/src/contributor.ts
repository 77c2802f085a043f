/**
 * The contributor snippet: one line a site embeds so its visitors can give browser storage to the
 * Stratos Edge network.
 *
 * ```html
 * <script type="module" src="https://<portal host>/contributor.js" data-budget="200MB"></script>
 * ```
 *
 * Off by default: it shows a small badge asking for consent and stores nothing, loads nothing but its
 * script and opens no connection until the visitor says yes. Then it loads a hidden frame from its own
 * origin that runs a light node with at most `data-budget` (default 100 MB, never more than 1 GB); the
 * badge shows what the visitor gives. Stop in the badge, or closing the tab, ends it.
 */

import { formatBytes } from './snippet-format.ts'
import { type FrameStatus, parseSnippetBudget } from './snippet-messages.ts'

const self = [...document.querySelectorAll<HTMLScriptElement>('script[src]')].find(
  (s) => s.src === import.meta.url,
)
const budget = parseSnippetBudget(self?.dataset.budget)
const frameUrl = new URL('frame.html', import.meta.url)

const STYLE = `
:host { all: initial; }
.badge { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; max-width: 20rem;
  font: 14px/1.4 system-ui, sans-serif; color: #1b1f24; background: #fff; border: 1px solid #8a939c;
  border-radius: 8px; padding: 0.75rem; box-shadow: 0 2px 8px rgb(0 0 0 / 0.2); }
p { margin: 0 0 0.5rem; }
.row { display: flex; gap: 0.5rem; flex-wrap: wrap; }
button { font: inherit; min-height: 2.25rem; padding: 0 0.8rem; border-radius: 6px; cursor: pointer;
  border: 1px solid #0b5cad; background: #0b5cad; color: #fff; }
button.secondary { background: #fff; color: #0b5cad; }
button:focus-visible { outline: 3px solid #0b5cad; outline-offset: 2px; }
`

function mount(): void {
  if (budget === undefined) {
    console.error('Stratos Edge contributor: data-budget must read like "200MB" (at least 1 MB); not started')
    return
  }
  const host = document.createElement('div')
  host.id = 'stratos-edge-contributor'
  const root = host.attachShadow({ mode: 'open' })
  const badge = document.createElement('div')
  badge.className = 'badge'
  badge.setAttribute('role', 'region')
  badge.setAttribute('aria-label', 'Stratos Edge storage contribution')
  const style = document.createElement('style')
  style.textContent = STYLE
  root.append(style, badge)
  document.body.append(host)
  let frame: HTMLIFrameElement | undefined

  const button = (label: string, onClick: () => void, secondary = false) => {
    const b = document.createElement('button')
    b.type = 'button'
    b.textContent = label
    if (secondary) b.className = 'secondary'
    b.addEventListener('click', onClick)
    return b
  }
  const text = (line: string) => {
    const p = document.createElement('p')
    p.textContent = line
    return p
  }
  const row = (...items: HTMLElement[]) => {
    const div = document.createElement('div')
    div.className = 'row'
    div.append(...items)
    return div
  }

  const ask = () => {
    badge.replaceChildren(
      text(
        `Support this site: let your browser keep and serve up to ${formatBytes(budget)} of files for the Stratos Edge storage network while this tab is open. Nothing is stored unless you agree.`,
      ),
      row(
        button(`Give ${formatBytes(budget)}`, start),
        button('No thanks', () => host.remove(), true),
      ),
    )
  }

  const show = (s: FrameStatus) => {
    const state = {
      starting: 'Starting…',
      running: 'Giving storage',
      offline: 'Network unreachable',
      stopped: 'Stopped',
    }[s.state]
    const status = text(
      `${state}: up to ${formatBytes(s.budgetBytes)} · kept ${formatBytes(s.keptBytes)} · served ${formatBytes(s.servedBytes)}. Earnings: not live yet.`,
    )
    status.setAttribute('role', 'status')
    badge.replaceChildren(status, row(button('Stop', stop, true)))
  }

  const onMessage = (event: MessageEvent) => {
    if (!frame || event.source !== frame.contentWindow || event.origin !== frameUrl.origin) return
    const data = event.data as FrameStatus
    if (data?.type !== 'stratos-edge:status') return
    if (data.state === 'stopped') {
      frame.remove()
      frame = undefined
      badge.replaceChildren(
        text('Stopped: what was kept for others was removed.'),
        row(button('Start again', start)),
      )
      return
    }
    show(data)
  }

  function start() {
    addEventListener('message', onMessage)
    frame = document.createElement('iframe')
    frame.title = 'Stratos Edge contributor node'
    frame.src = `${frameUrl.href}#budget=${budget}`
    frame.setAttribute('aria-hidden', 'true')
    frame.tabIndex = -1
    frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden'
    root.append(frame)
    show({
      type: 'stratos-edge:status',
      state: 'starting',
      budgetBytes: budget!,
      keptBytes: 0,
      servedBytes: 0,
    })
  }

  function stop() {
    frame?.contentWindow?.postMessage({ type: 'stratos-edge:stop' }, frameUrl.origin)
  }

  ask()
}

if (document.body) mount()
else addEventListener('DOMContentLoaded', mount, { once: true })
