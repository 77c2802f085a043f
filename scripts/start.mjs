// `npm start`: the whole local network on fixed ports, then the URLs of the demo pages.
//   - two anvil chains ("Ethereum" and "Polygon") with the bridge, payments and rewards deployed;
//   - two resource nodes (the first runs the meta service; the second replicates), with upload tickets
//     on (scripts/start/tickets.mjs);
//   - the portal, and the NFT widget's demo marketplace when it is built.
// `--help` lists every port and option. State lives in one data directory (./.data), locked while in use;
// SIGINT, SIGTERM and SIGHUP (or the parent npm going away) stop every child, save the chains' state and
// print "stopped".
import { createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DataDirLockedError, lockDataDir } from './start/data-dir-lock.mjs'
import { PORTS, parseStartOptions, StartOptionsError, usage } from './start/options.mjs'
import { checkPortsFree, PortInUseError } from './start/port-check.mjs'
import { fundProviders, providerAddress, providerArgs } from './start/provider-traffic.mjs'
import { serveStatic } from './start/static-server.mjs'
import { metaTicketArgs, nodeTicketArgs, pageNetwork, peerIdOfNode, ticketSummary } from './start/tickets.mjs'
import { setUpTraffic } from './start/traffic.mjs'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
/** Stop functions of what is running, in start order. */
const stops = []
let stopping = false

// A closed terminal or a dead parent's pipe must not crash the shutdown: writes then fail with EPIPE/EIO.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})

function log(line) {
  process.stdout.write(`${line}\n`)
}

/** Records how to stop something just started; if a stop was asked meanwhile, the shutdown takes it too. */
function track(stop) {
  stops.push(stop)
}

async function stopAll() {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {})
}

/** Starts a resource node; its JSON logs go to <data>/logs/<name>.log. */
async function startResourceNode(dataDir, name, args) {
  const logs = join(dataDir, 'logs')
  mkdirSync(logs, { recursive: true })
  // Loaded here, after the port and lock checks: the package pulls in node:sqlite, whose experimental
  // warning would otherwise come before a one-line error.
  const { spawnResourceNode } = await import('@stratos-edge/resource-node')
  const node = await spawnResourceNode({
    args: ['start', '--data-dir', join(dataDir, name), ...args],
    stderr: createWriteStream(join(logs, `${name}.log`), { flags: 'a' }),
    timeoutMs: 60_000,
  }).catch((err) => {
    throw new Error(`${name} did not start (${firstLine(err.message)}); see ${join(logs, `${name}.log`)}`)
  })
  track(() => node.stop())
  return node.ready
}

/** The chains: local anvils whose state is kept in the data directory, or given RPC endpoints. */
async function startChains(options, dataDir) {
  if (options.ethereumRpc) {
    return {
      ethereum: { rpcUrl: options.ethereumRpc },
      polygon: { rpcUrl: options.polygonRpc },
      addresses: {},
      external: true,
    }
  }
  const { startLocalChains } = await import('@stratos-edge/polygon-bridge/local')
  const chains = await startLocalChains({
    dataDir: join(dataDir, 'chains'),
    ethereumPort: options.ports['ethereum-port'],
    polygonPort: options.ports['polygon-port'],
  })
  // chains.stop() sends anvil SIGTERM, on which it writes its --state file: the chain survives restarts.
  track(() => chains.stop())
  return chains
}

/** The contributor snippet (its script and frame) and a page of another origin that embeds it. */
async function startSnippet(options, network) {
  const server = await serveStatic({
    dir: join(root, 'apps/contributor-snippet/dist'),
    port: options.ports['snippet-port'],
    config: network,
  })
  track(() => server.stop())
  const scriptUrl = `${server.url}contributor.js`
  const demo = await serveStatic({
    dir: join(root, 'apps/contributor-snippet/demo'),
    port: options.ports['snippet-demo-port'],
    replace: { SNIPPET_URL: scriptUrl },
  })
  track(() => demo.stop())
  return { scriptUrl, demoUrl: demo.url }
}

/**
 * The NFT widget's demo marketplace (its own engineer's part): served when apps/nft-widget is built and
 * the bridge package can deploy its demo ERC-721.
 */
async function startWidgetDemo(options, chains, network) {
  const dir = join(root, 'apps/nft-widget/dist/demo')
  const local = await import('@stratos-edge/polygon-bridge/local')
  if (!existsSync(dir) || typeof local.deployDemoNft !== 'function' || chains.external) return undefined
  const { JsonRpcProvider, Wallet } = await import('ethers')
  const polygonRpc = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const nft = await local.deployDemoNft(new Wallet(local.devAccounts()[0].privateKey, polygonRpc))
  polygonRpc.destroy()
  const server = await serveStatic({
    dir,
    port: options.ports['widget-port'],
    config: { ...network, polygon: chains.polygon, nft, minterKey: local.devAccounts()[1].privateKey },
  })
  track(() => server.stop())
  return { url: server.url, nft }
}

/**
 * The wallet engineer's `scripts/demo-wallet.mjs` (fund and prepay a demo wallet), when it exists: its
 * default export is called with the chains and the data directory, and may return lines to print.
 */
async function runDemoWallet(chains, dataDir) {
  const script = join(root, 'scripts/demo-wallet.mjs')
  if (!existsSync(script) || chains.external) return []
  const mod = await import(pathToFileURL(script).href)
  const lines = typeof mod.default === 'function' ? await mod.default({ chains, dataDir, log }) : undefined
  return Array.isArray(lines) ? lines : []
}

function firstLine(text) {
  return String(text).split('\n')[0]
}

/** `args` without `flag` and its value. */
function withoutFlag(args, flag) {
  const i = args.indexOf(flag)
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)]
}

async function start(options, dataDir) {
  log('stratos-edge: starting the local network…')
  const chains = await startChains(options, dataDir)
  if (stopping) return
  const p = options.ports
  // Tickets (scripts/start/tickets.mjs): the meta node lists node 2 as a resource node, node 2 accepts
  // the meta node's tickets, the pages sign ticket requests for the local Polygon's chain id.
  const secondPeerId = await peerIdOfNode(join(dataDir, 'resource-node-2'))
  // Proof of Traffic (scripts/start/traffic.mjs): on in the meta node whenever upload tickets are.
  const traffic = await setUpTraffic({ chains, dataDir })
  // Both nodes earn as providers (scripts/start/provider-traffic.mjs); the meta node takes node 2's
  // gateway self-reports.
  const provider2 = await providerAddress(join(dataDir, 'resource-node-2'))
  // Tickets, traffic and the provider each want the Polygon RPC: the meta node is given it once.
  const ticketArgs = metaTicketArgs({ chains, freeOzone: options.freeOzone, resourcePeers: [secondPeerId] })
  const trafficArgs = ticketArgs.includes('--polygon-rpc')
    ? withoutFlag(traffic.args, '--polygon-rpc')
    : traffic.args
  const meta = await startResourceNode(dataDir, 'resource-node-1', [
    '--meta',
    ...['--tcp-port', String(p['node1-tcp-port']), '--ws-port', String(p['node1-ws-port'])],
    ...['--http-port', String(p['node1-http-port'])],
    ...ticketArgs,
    ...trafficArgs,
    ...providerArgs(chains, { polygonRpc: ![...ticketArgs, ...trafficArgs].includes('--polygon-rpc') }),
    ...['--self-reporter', provider2],
  ])
  if (stopping) return
  const tcp = meta.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  const second = await startResourceNode(dataDir, 'resource-node-2', [
    ...['--tcp-port', String(p['node2-tcp-port']), '--ws-port', String(p['node2-ws-port'])],
    ...['--http-port', String(p['node2-http-port']), '--bootstrap', tcp],
    ...nodeTicketArgs(chains, meta),
    ...providerArgs(chains, { polygonRpc: true }),
  ])
  await fundProviders(
    chains,
    [meta.trafficAccount, second.trafficAccount].filter((a) => a !== undefined),
  )
  if (stopping) return
  const network = {
    resourceNodes: [...meta.wsMultiaddrs, ...second.wsMultiaddrs],
    gatewayUrl: meta.gatewayUrl,
    ...pageNetwork(chains, meta),
  }
  const portal = await serveStatic({
    dir: join(root, 'apps/portal/dist'),
    port: p['portal-port'],
    config: {
      ...network,
      ...(chains.external
        ? {}
        : { polygon: { ...chains.polygon, addresses: chains.addresses.polygon ?? {} } }),
    },
  })
  track(() => portal.stop())
  if (stopping) return
  const snippet = await startSnippet(options, network)
  if (stopping) return
  const widget = await startWidgetDemo(options, chains, network)
  if (stopping) return
  const walletLines = await runDemoWallet(chains, dataDir)

  log('')
  log('Stratos Edge local network is up')
  log(`  portal                   ${portal.url}   contribute storage, upload, download, see the network`)
  log(`  contributor snippet      ${snippet.scriptUrl}`)
  log(
    `    a site embedding it    ${snippet.demoUrl}   (another origin; the badge asks before anything is stored)`,
  )
  if (widget) {
    log(`  NFT widget demo          ${widget.url}   upload media + metadata, mint on the local Polygon`)
    log(`    polygon   DemoNft (ERC-721)        ${widget.nft}`)
  }
  log(
    `  resource node 1 + meta   gateway ${meta.gatewayUrl}/v1/files/<file hash>   metrics ${meta.gatewayUrl}/metrics`,
  )
  log(`                           ${meta.wsMultiaddrs[0] ?? ''}`)
  log(`  resource node 2          gateway ${second.gatewayUrl}   ${second.wsMultiaddrs[0] ?? ''}`)
  log(ticketSummary(chains, meta, options.freeOzone))
  log(`  ethereum                 ${chains.ethereum.rpcUrl}${chains.external ? '   (given)' : '   (anvil)'}`)
  log(`  polygon                  ${chains.polygon.rpcUrl}${chains.external ? '   (given)' : '   (anvil)'}`)
  for (const chain of ['ethereum', 'polygon']) {
    for (const [name, address] of Object.entries(chains.addresses[chain] ?? {})) {
      if (typeof address === 'string' && address.startsWith('0x'))
        log(`    ${chain.padEnd(9)} ${name.padEnd(24)} ${address}`)
    }
  }
  for (const line of traffic.lines) log(line)
  for (const line of walletLines) log(`  ${line}`)
  log(`  data and logs            ${dataDir}`)
}

async function main() {
  let options
  try {
    options = parseStartOptions(process.argv.slice(2), process.env)
  } catch (err) {
    if (err instanceof StartOptionsError) {
      process.stderr.write(`stratos-edge: ${err.message} (see --help)\n`)
      return 2
    }
    throw err
  }
  if (options.help) {
    process.stdout.write(usage())
    return 0
  }
  const dataDir = resolve(options.dataDir ?? join(root, '.data'))
  mkdirSync(dataDir, { recursive: true })
  let lock
  try {
    lock = lockDataDir(dataDir)
    const wanted = PORTS.filter(
      ([name]) => !(options.ethereumRpc && /^(ethereum|polygon)-port$/.test(name)),
    ).map(([option, , , what]) => ({ port: options.ports[option], option, what }))
    await checkPortsFree(wanted)
  } catch (err) {
    lock?.release()
    if (err instanceof DataDirLockedError || err instanceof PortInUseError) {
      process.stderr.write(`stratos-edge: ${err.message}\n`)
      return 1
    }
    throw err
  }

  // A signal, or the parent going away (npm killed without forwarding, a closed terminal), stops everything.
  let signalled
  const stopAsked = new Promise((r) => {
    signalled = r
  })
  const onSignal = (signal) => {
    if (stopping) return log(`stratos-edge: ${signal}: still stopping…`)
    stopping = true
    signalled(signal)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal)
  const parent = process.ppid
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) onSignal('parent exited')
  }, 1000)

  let code = 0
  const started = start(options, dataDir).catch((err) => {
    code = 1
    process.stderr.write(`stratos-edge: ${firstLine(err.message ?? err)}\n`)
    if (process.env.STRATOS_EDGE_DEBUG) process.stderr.write(`${err.stack}\n`)
  })
  await started
  if (code === 0 && !stopping) {
    if (options.once) stopping = true
    else {
      log('Press Ctrl-C to stop.')
      const why = await stopAsked
      log(`stratos-edge: ${why}: stopping…`)
    }
  }
  stopping = true
  clearInterval(parentWatch)
  await stopAll()
  lock.release()
  log('stratos-edge: stopped')
  return code
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    process.stderr.write(`stratos-edge: ${firstLine(err.message ?? err)}\n`)
    await stopAll()
    process.exit(1)
  },
)
