// The React wrapper in a small React app (for the e2e test): props become attributes, onUploaded fires.
import { createElement, useState } from 'react'
import { createRoot } from 'react-dom/client'
import type { NftUploadResult } from '../src/index.ts'
import { NftUploader } from '../src/react.ts'

interface DemoConfig {
  resourceNodes: string[]
  gatewayUrl?: string
  network?: number
}

function App({ config }: { config: DemoConfig }) {
  const [tokenURI, setTokenURI] = useState<string>()
  return createElement(
    'div',
    null,
    createElement(NftUploader, {
      resourceNodes: config.resourceNodes,
      ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
      maxSize: '1MB',
      submitLabel: 'Upload from React',
      nodeOptions: { iceServers: [], ...(config.network !== undefined ? { network: config.network } : {}) },
      className: 'uploader',
      onUploaded: (result: NftUploadResult) => {
        setTokenURI(result.tokenURI)
        ;(document.getElementById('result') as HTMLElement).textContent = `tokenURI ${result.tokenURI}`
      },
    }),
    tokenURI ? createElement('p', { id: 'react-token' }, tokenURI) : null,
  )
}

const config = (await (await fetch('/config.json')).json()) as DemoConfig
createRoot(document.getElementById('app') as HTMLElement).render(createElement(App, { config }))
