// The portal page: a light node in a worker (all networking and storage happen there), and the views
// around the public client API of @stratos-edge/light-node.
import { loadConfig, nodeOptionsOf } from './config.ts'
import { createNodeSession } from './node-session.ts'
import { createWallet, type Eip1193Provider } from './wallet.ts'
import './views/portal-app.ts'
import type { PortalApp } from './views/portal-app.ts'

async function main(): Promise<void> {
  const app = document.querySelector<PortalApp>('portal-app')
  if (!app) throw new Error('<portal-app> missing from the page')
  const config = await loadConfig()
  const session = createNodeSession({ node: nodeOptionsOf(config) })
  app.wallet = createWallet((globalThis as { ethereum?: Eip1193Provider }).ethereum)
  app.session = session
  await session.start()
}

main().catch((err) => {
  const p = document.createElement('p')
  p.className = 'error'
  p.setAttribute('role', 'alert')
  p.textContent = `The portal could not start: ${(err as Error).message}`
  document.body.prepend(p)
})
