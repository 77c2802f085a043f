// `npm start`: the whole local network with its defaults, then the URLs of the demo pages.
//   - two anvil chains ("Ethereum" and "Polygon") with the bridge, payments and rewards deployed;
//   - two resource nodes (the first runs the meta service; the second replicates);
//   - the portal, a demo page that runs a browser light node;
//   - the NFT widget's demo marketplace, minting a small ERC-721 (DemoNft, deployed here) on the local Polygon.
// State lives in ./.data (STRATOS_EDGE_DATA_DIR); stop with Ctrl-C. `--once` starts everything, prints
// the summary and stops again (a smoke check).
// `--ephemeral-ports` puts every service on a free port.
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnResourceNode } from '@stratos-edge/resource-node'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const dataDir = process.env.STRATOS_EDGE_DATA_DIR ?? join(root, '.data')
const once = process.argv.includes('--once')
const ephemeral = process.argv.includes('--ephemeral-ports')
const portalPort = ephemeral ? 0 : Number(process.env.STRATOS_EDGE_PORTAL_PORT ?? 5173)
const widgetPort = ephemeral ? 0 : Number(process.env.STRATOS_EDGE_WIDGET_PORT ?? 5174)
const anyPort = ['--tcp-port', '0', '--ws-port', '0', '--http-port', '0']
const stops = []

function log(line) {
  process.stdout.write(`${line}\n`)
}

/** Starts a resource node; its JSON logs go to .data/logs/<name>.log. */
async function startResourceNode(name, args) {
  const logs = join(dataDir, 'logs')
  mkdirSync(logs, { recursive: true })
  const node = await spawnResourceNode({
    args: ['start', '--data-dir', join(dataDir, name), ...args],
    stderr: createWriteStream(join(logs, `${name}.log`), { flags: 'a' }),
    timeoutMs: 60_000,
  })
  stops.push(() => node.stop())
  return node.ready
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
}

/** Serves a built Vite app and its /config.json. */
function servePortal(dir, config, port = portalPort) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': MIME['.json'], 'cache-control': 'no-store' })
      return res.end(JSON.stringify(config))
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path))
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      stops.push(() => new Promise((r) => server.close(() => r())))
      resolve(`http://127.0.0.1:${server.address().port}/`)
    })
  })
}

async function stopAll() {
  for (const stop of stops.reverse()) await stop().catch(() => {})
}

async function main() {
  mkdirSync(dataDir, { recursive: true })
  log('stratos-edge: starting the local network…')

  const { startLocalChains } = await import('@stratos-edge/polygon-bridge/local')
  const chains = await startLocalChains({ dataDir: join(dataDir, 'chains') })
  stops.push(() => chains.stop())
  await (await import('./demo-wallet.mjs')).setUpDemoWallet({ chains, dataDir, log })

  const meta = await startResourceNode('resource-node-1', ['--meta', ...(ephemeral ? anyPort : [])])
  const tcp = meta.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  const second = await startResourceNode('resource-node-2', [...anyPort, '--bootstrap', tcp])

  const portalDir = join(root, 'apps/portal/dist')
  const portalUrl = await servePortal(portalDir, {
    resourceNodes: [...meta.wsMultiaddrs, ...second.wsMultiaddrs],
    gatewayUrl: meta.gatewayUrl,
  })

  // The widget demo mints on the local Polygon with a dev account (anvil's public keys: local only).
  const { JsonRpcProvider, Wallet } = await import('ethers')
  const { deployDemoNft, devAccounts } = await import('@stratos-edge/polygon-bridge/local')
  const polygonRpc = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const demoNft = await deployDemoNft(new Wallet(devAccounts()[0].privateKey, polygonRpc))
  polygonRpc.destroy()
  const widgetUrl = await servePortal(
    join(root, 'apps/nft-widget/dist/demo'),
    {
      resourceNodes: [...meta.wsMultiaddrs, ...second.wsMultiaddrs],
      gatewayUrl: meta.gatewayUrl,
      polygon: chains.polygon,
      nft: demoNft,
      minterKey: devAccounts()[1].privateKey,
    },
    widgetPort,
  )

  log('')
  log('Stratos Edge local network is up')
  log(`  portal (demo page)       ${portalUrl}   open it in two tabs: upload in one, download in the other`)
  log(`  NFT widget demo          ${widgetUrl}   upload media + metadata, mint on the local Polygon`)
  log(`    polygon   DemoNft (ERC-721)        ${demoNft}`)
  log(
    `  resource node 1 + meta   gateway ${meta.gatewayUrl}/v1/files/<file hash>   metrics ${meta.gatewayUrl}/metrics`,
  )
  log(`                           ${meta.wsMultiaddrs[0] ?? ''}`)
  log(`  resource node 2          gateway ${second.gatewayUrl}   ${second.wsMultiaddrs[0] ?? ''}`)
  log(`  ethereum (anvil)         ${chains.ethereum.rpcUrl}   chain id ${chains.ethereum.chainId}`)
  log(`  polygon (anvil)          ${chains.polygon.rpcUrl}   chain id ${chains.polygon.chainId}`)
  for (const chain of ['ethereum', 'polygon']) {
    for (const [name, address] of Object.entries(chains.addresses[chain] ?? {})) {
      if (typeof address === 'string' && address.startsWith('0x'))
        log(`    ${chain.padEnd(9)} ${name.padEnd(24)} ${address}`)
    }
  }
  log(`  data and logs            ${dataDir}`)

  if (once) {
    await stopAll()
    log('stratos-edge: --once: stopped again')
    return
  }
  log('Press Ctrl-C to stop.')
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  log('stratos-edge: stopping…')
  await stopAll()
}

main().catch(async (err) => {
  console.error(`stratos-edge: ${err.stack ?? err}`)
  await stopAll()
  process.exit(1)
})
