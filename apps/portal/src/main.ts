// The portal page: a light node in a worker (all networking and storage happen there), and a small
// dashboard around the public client API of @stratos-edge/light-node.
import { createLightNode, type LightNode, type LightNodeStat } from '@stratos-edge/light-node'
import { loadConfig } from './config.ts'
import { formatBytes } from './format.ts'

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} missing from the page`)
  return el as T
}

function show(id: string, text: string, isError = false): void {
  const el = byId(id)
  el.textContent = text
  el.classList.toggle('error', isError)
}

function renderStat(stat: LightNodeStat): void {
  const rows: [string, string][] = [
    ['peer id', stat.peerId],
    ['stored (yours)', formatBytes(stat.store.pinnedBytes)],
    ['cached (relayed)', formatBytes(stat.store.cachedBytes)],
    ['storage given', formatBytes(stat.store.budgetBytes)],
    ['files', String(stat.store.files)],
    ['served to others', `${formatBytes(stat.served.bytes)} in ${stat.served.slices} slices`],
    ['fetched', `${formatBytes(stat.fetched.bytes)} in ${stat.fetched.slices} slices`],
    [
      'persistent storage',
      stat.persisted === undefined ? 'not asked' : stat.persisted ? 'granted' : 'not granted',
    ],
  ]
  byId('node-stat').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt')
      dt.textContent = k
      const dd = document.createElement('dd')
      dd.textContent = v
      return [dt, dd]
    }),
  )
  byId('connections').replaceChildren(
    ...stat.connections.map((c) => {
      const li = document.createElement('li')
      li.textContent = `${c.kind}${c.limited ? ' (limited)' : ''} ${c.peerId}`
      return li
    }),
  )
}

function logEvent(text: string): void {
  const li = document.createElement('li')
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`
  const list = byId('events')
  list.prepend(li)
  while (list.children.length > 100) list.lastElementChild?.remove()
}

async function downloadToFile(node: LightNode, ref: string): Promise<number> {
  const blob = await new Response(node.get(ref)).blob()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = ref.split('/').pop() ?? 'download'
  link.click()
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000)
  return blob.size
}

async function main(): Promise<void> {
  const config = await loadConfig()
  const node = await createLightNode({
    resourceNodes: config.resourceNodes,
    ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
  })
  show('node-status', 'Running in a Web Worker')
  node.addEventListener('peer:connect', (e) => logEvent(`connected ${e.detail.kind} ${e.detail.peerId}`))
  node.addEventListener('slice:served', (e) =>
    logEvent(`served ${formatBytes(e.detail.bytes)} to ${e.detail.peerId}`),
  )
  node.addEventListener('provider:dropped', (e) =>
    logEvent(`dropped provider ${e.detail.peerId}: ${e.detail.reason}`),
  )
  const refresh = async () => renderStat(await node.stat())
  await refresh()
  setInterval(() => void refresh().catch(() => {}), 2000)

  byId<HTMLFormElement>('contribute-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const gb = Number(byId<HTMLInputElement>('contribute-gb').value)
    try {
      await node.contribute({ bytes: Math.round(gb * 1e9) })
      show('contribute-status', `Contributing ${gb} GB`)
      await refresh()
    } catch (err) {
      show('contribute-status', (err as Error).message, true)
    }
  })

  byId<HTMLFormElement>('upload-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const file = byId<HTMLInputElement>('upload-file').files?.[0]
    if (!file) return
    const bar = byId<HTMLProgressElement>('upload-progress')
    bar.hidden = false
    try {
      const result = await node.put(file, {
        name: file.name,
        mimeType: file.type,
        onProgress: (p) => {
          bar.value = p.totalBytes ? p.bytes / p.totalBytes : 1
          show('upload-status', `${p.phase}: ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`)
        },
      })
      show('upload-status', `Stored ${result.uri}${result.gatewayUrl ? ` — ${result.gatewayUrl}` : ''}`)
      byId<HTMLInputElement>('download-ref').value = result.fileHash
      await refresh()
    } catch (err) {
      show('upload-status', `${(err as Error).name}: ${(err as Error).message}`, true)
    } finally {
      bar.hidden = true
    }
  })

  byId<HTMLFormElement>('download-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const ref = byId<HTMLInputElement>('download-ref').value.trim()
    try {
      show('download-status', 'Fetching…')
      show('download-status', `Downloaded ${formatBytes(await downloadToFile(node, ref))}`)
      await refresh()
    } catch (err) {
      show('download-status', `${(err as Error).name}: ${(err as Error).message}`, true)
    }
  })
}

main().catch((err) => show('node-status', `Could not start: ${(err as Error).message}`, true))
