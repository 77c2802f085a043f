import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLogger, type Logger, type LogLevel } from '../logger.js'
import type { MetaTrafficInit } from '../meta/meta-traffic.js'
import type { TicketsInit } from '../node/node-tickets.js'
import {
  createResourceNode,
  DEFAULT_HTTP_PORT,
  DEFAULT_TCP_PORT,
  DEFAULT_WS_PORT,
} from '../node/resource-node.js'
import { loadOrCreateNodeEvmKey } from '../node/traffic-key.js'
import type { NodeTrafficInit } from '../node/traffic-node.js'
import { openDiskSliceStore } from '../store/disk-slice-store.js'
import { OPERATOR_FLAGS, OPERATOR_USAGE, operatorInit, signOperatorBindingCommand } from './operator-flags.js'
import { QUOTA_FLAGS, QUOTA_USAGE, quotaInit } from './quota-flags.js'

const USAGE = `Usage: stratos-edge-node <command> [options]

Commands:
  start     run a resource node (prints one JSON "ready" line on stdout, logs JSON lines on stderr)
  verify    re-hash every stored slice, delete the corrupt ones, print a JSON report
  traffic-address, sign-operator-binding   see "Operator commands" below

Options:
  --data-dir <dir>        data directory (default: $STRATOS_EDGE_DATA_DIR or ./.data/resource-node)
  --host <ip>             listen address (default 127.0.0.1; 0.0.0.0 for all interfaces)
  --tcp-port <n>          libp2p TCP port, node to node (default ${DEFAULT_TCP_PORT}; 0 = any free port)
  --ws-port <n>           libp2p WebSockets port, browsers (default ${DEFAULT_WS_PORT})
  --http-port <n>         HTTP gateway port (default ${DEFAULT_HTTP_PORT})
  --meta                  run the meta service in this process
  --bootstrap <multiaddr> peer to dial at start (repeatable); without --meta the first is the meta service
  --max-bytes <n>         disk budget for slices in bytes (default 10 GiB; suffixes k, m, g)
  --announce <multiaddr>  extra address to advertise (repeatable)
  --resource-peer <id>    with --meta: a peer id the registry lists as a resource node (repeatable);
                          only listed nodes are placed on and forwarded to (default: any that announces)
  --public-url <url>      the gateway's public base URL, announced for browser uploads
                          (default: the address it listens on)
  --max-relay-reservations <n>  circuit-relay reservations for browsers (default 1024)
  --stream-timeout <ms>   close protocol streams idle this long (default 30000); also how long an upload
                          body may stall, or wait for upload memory
  --write-timeout <ms>    drop a gateway reader that takes no bytes this long (default 120000)
  --read-cache <n>        memory for slice data shared by gateway readers (default 64m; suffixes k, m, g)
  --trust-proxy           count upload shares by the last X-Forwarded-For address (behind a TLS proxy)
  --log-level <level>     debug | info | warn | error (default info)

Upload tickets (off unless --network is given; then every write needs a ticket):
  --network <chain id>    network id signed into tickets (e.g. 137 for Polygon, 31337 on a local anvil)
  --ticket-issuer <0x…>   a meta service address whose tickets this node accepts (repeatable); a node
                          with --meta accepts its own (its address is "ticketIssuer" in the ready line)
  --free-ozone <n>        with --meta: ozone (noz, 1 per stored byte) every owner may spend without
                          prepaying (default 0: no free tier; suffixes k, m, g)
  --polygon-rpc <url>     with --meta: Polygon JSON-RPC (StoragePayments prepayments, TrafficRewards)
  --storage-payments <0x…>  with --polygon-rpc: the StoragePayments contract
  --confirmations <n>     with --polygon-rpc: blocks before a prepayment is credited (default 64)
  --payments-from-block <n>  with --polygon-rpc: first block to scan (the contract's deployment)

Proof of Traffic (on with --meta and --network: download tickets, receipts, epoch settlement):
  --epoch-seconds <n>     epoch length (default 600; with --traffic-rewards, the contract's)
  --late-window-seconds <n>  receipts of an epoch are taken this long after it ends (default epoch/5)
  --traffic-rewards <0x…> with --polygon-rpc: post each epoch's reward root to this TrafficRewards
  --committee-key-file <path>  committee private keys, one 0x… per line (repeatable); the first key
                          also pays the gas of posting
  --committee-threshold <n>  committee signatures per root (default 2)
  --self-reporter <0x…>   a provider whose gateway self-reports are taken (repeatable; a node with
                          --provider-traffic always takes its own)

This node as a provider that earns (needs a meta service that settles traffic):
  --provider-traffic      count the gateway's bytes to anonymous readers and self-report them per epoch;
                          GET /v1/status/traffic and stratos_edge_traffic_* metrics; the node's EVM key
                          (<data dir>/traffic.key) is "trafficAccount" in the ready line
  --operator-binding-file, --operator-key-file   bind the node to its operator (see "Node owner")
  --claim-rewards         with --polygon-rpc: also claim each settled epoch's reward on the meta
                          service's TrafficRewards (the node's EVM key sends the claims: fund it with gas)
`

function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)i?b?$/i.exec(text.trim())
  if (!m) throw new Error(`Invalid byte size: ${text}`)
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase()] ?? 1
  return Math.floor(Number(m[1]) * mult)
}

function positiveInt(text: string, what: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`Invalid ${what}: ${text}`)
  return n
}

function port(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`Invalid port: ${text}`)
  return n
}

/** Committee keys from key files: one `0x…` 32-byte key per line; blank lines and `#` comments skipped. */
export function readCommitteeKeys(paths: readonly string[]): string[] {
  const keys: string[] = []
  for (const path of paths) {
    for (const raw of readFileSync(path, 'utf8').split('\n')) {
      const line = raw.replace(/#.*/, '').trim()
      if (!line) continue
      if (!/^0x[0-9a-fA-F]{64}$/.test(line))
        throw new Error(`${path}: a committee key is 0x and 64 hex digits`)
      keys.push(line)
    }
  }
  return keys
}

type TrafficFlags = Partial<
  Record<
    'epoch-seconds' | 'late-window-seconds' | 'traffic-rewards' | 'committee-threshold' | 'polygon-rpc',
    string
  >
> & { 'committee-key-file'?: string[]; 'self-reporter'?: string[] }

function trafficOptions(
  values: TrafficFlags,
  on: boolean,
  logger: Logger,
): Omit<MetaTrafficInit, 'network' | 'freeOzone'> | undefined {
  const given = [
    'epoch-seconds',
    'late-window-seconds',
    'traffic-rewards',
    'committee-key-file',
    'committee-threshold',
    'self-reporter',
  ]
  if (!on) {
    // Not an error: `npm start` passes them to its meta node whether or not tickets are on.
    if (given.some((k) => values[k as keyof TrafficFlags] !== undefined))
      logger.warn('Proof of Traffic is off: it needs --meta and --network (upload tickets)')
    return undefined
  }
  if (values['traffic-rewards'] && !values['polygon-rpc'])
    throw new Error('--traffic-rewards needs --polygon-rpc')
  const keys = readCommitteeKeys(values['committee-key-file'] ?? [])
  if (values['traffic-rewards'] && keys.length === 0)
    throw new Error('--traffic-rewards needs committee keys (--committee-key-file)')
  const late = values['late-window-seconds']
  return {
    ...(values['self-reporter'] ? { selfReporters: values['self-reporter'] } : {}),
    ...(values['epoch-seconds']
      ? { epochSeconds: positiveInt(values['epoch-seconds'], 'epoch length') }
      : {}),
    ...(late !== undefined ? { lateWindowSeconds: late === '0' ? 0 : positiveInt(late, 'late window') } : {}),
    ...(values['traffic-rewards'] && values['polygon-rpc']
      ? {
          posting: {
            polygonRpc: values['polygon-rpc'],
            trafficRewards: values['traffic-rewards'],
            committeeKeys: keys,
            threshold: values['committee-threshold']
              ? positiveInt(values['committee-threshold'], 'committee threshold')
              : 2,
          },
        }
      : {}),
  }
}

/** A usage error as one stderr line; exit code 2. */
function fatalLine(error: unknown): number {
  process.stderr.write(`stratos-edge-node: ${error instanceof Error ? error.message : String(error)}\n`)
  return 2
}

/**
 * Runs the `stratos-edge-node` command line. Returns the process exit code (for `start`, only after a
 * signal stopped the node).
 */
export async function runCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'tcp-port': { type: 'string' },
      'ws-port': { type: 'string' },
      'http-port': { type: 'string' },
      meta: { type: 'boolean' },
      bootstrap: { type: 'string', multiple: true },
      'max-bytes': { type: 'string' },
      announce: { type: 'string', multiple: true },
      'resource-peer': { type: 'string', multiple: true },
      'public-url': { type: 'string' },
      'max-relay-reservations': { type: 'string' },
      'stream-timeout': { type: 'string' },
      'write-timeout': { type: 'string' },
      'read-cache': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      'log-level': { type: 'string' },
      network: { type: 'string' },
      'ticket-issuer': { type: 'string', multiple: true },
      'free-ozone': { type: 'string' },
      'polygon-rpc': { type: 'string' },
      'storage-payments': { type: 'string' },
      confirmations: { type: 'string' },
      'payments-from-block': { type: 'string' },
      ...QUOTA_FLAGS,
      'epoch-seconds': { type: 'string' },
      'late-window-seconds': { type: 'string' },
      'traffic-rewards': { type: 'string' },
      'committee-key-file': { type: 'string', multiple: true },
      'committee-threshold': { type: 'string' },
      'self-reporter': { type: 'string', multiple: true },
      'provider-traffic': { type: 'boolean' },
      'claim-rewards': { type: 'boolean' },
      ...OPERATOR_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0]
  const commands = ['start', 'verify', 'traffic-address', 'sign-operator-binding']
  if (values.help || !command || !commands.includes(command)) {
    process.stdout.write(USAGE + QUOTA_USAGE + OPERATOR_USAGE)
    return values.help ? 0 : 2
  }
  const dataDir =
    values['data-dir'] ?? process.env.STRATOS_EDGE_DATA_DIR ?? join(process.cwd(), '.data', 'resource-node')
  const logger = createLogger({ level: (values['log-level'] as LogLevel | undefined) ?? 'info' })
  const maxBytes = values['max-bytes'] ? parseBytes(values['max-bytes']) : undefined

  if (command === 'traffic-address') {
    process.stdout.write(`${(await loadOrCreateNodeEvmKey(dataDir)).evmAddress}\n`)
    return 0
  }
  if (command === 'sign-operator-binding') {
    try {
      process.stdout.write(`${await signOperatorBindingCommand(values)}\n`)
      return 0
    } catch (error) {
      return fatalLine(error)
    }
  }
  if (command === 'verify') {
    const store = await openDiskSliceStore({
      dir: join(dataDir, 'store'),
      logger,
      ...(maxBytes ? { maxBytes } : {}),
    })
    const report = await store.verifyAll()
    process.stdout.write(`${JSON.stringify({ event: 'verified', ...report })}\n`)
    return report.corrupt.length === 0 ? 0 : 1
  }

  const claimRewards = values['claim-rewards'] ?? false
  if (claimRewards && !values['polygon-rpc']) throw new Error('--claim-rewards needs --polygon-rpc')
  const providerOn = values['provider-traffic'] || claimRewards
  let operator: Awaited<ReturnType<typeof operatorInit>> = {}
  try {
    // Fail fast with one line: a bad key or binding would otherwise only show in debug logs.
    if (providerOn) operator = await operatorInit(values, dataDir)
  } catch (error) {
    return fatalLine(error)
  }
  if (!providerOn && (values['operator-key-file'] || values['operator-binding-file']))
    logger.warn('--operator-key-file and --operator-binding-file need --provider-traffic: no binding')
  const providerTraffic: NodeTrafficInit | undefined = providerOn
    ? {
        ...operator,
        ...(claimRewards && values['polygon-rpc']
          ? {
              claimRewards: { polygonRpc: values['polygon-rpc'] },
            }
          : {}),
      }
    : undefined
  // --polygon-rpc alone serves Proof of Traffic's roots; prepayments need the contract too.
  if (values['storage-payments'] && !values['polygon-rpc'])
    throw new Error('--storage-payments needs --polygon-rpc')
  const tickets: TicketsInit | undefined = values.network
    ? {
        network: positiveInt(values.network, 'network id'),
        issuers: values['ticket-issuer'] ?? [],
        ...(values['free-ozone'] ? { freeOzone: BigInt(parseBytes(values['free-ozone'])) } : {}),
        ...(values['polygon-rpc'] && values['storage-payments']
          ? {
              payments: {
                rpcUrl: values['polygon-rpc'],
                storagePayments: values['storage-payments'],
                ...(values.confirmations
                  ? { confirmations: positiveInt(values.confirmations, 'confirmations') }
                  : {}),
                ...(values['payments-from-block']
                  ? { fromBlock: Number(values['payments-from-block']) }
                  : {}),
              },
            }
          : {}),
      }
    : undefined
  // --polygon-rpc alone may serve Proof of Traffic's root posting, which is off without --network too.
  if (!tickets && (values['ticket-issuer'] || values['free-ozone'] || values['storage-payments']))
    throw new Error('Ticket options need --network <chain id>')
  const traffic = trafficOptions(values, Boolean(values.meta && tickets), logger)
  const node = await createResourceNode(
    {
      dataDir,
      host: values.host ?? '127.0.0.1',
      tcpPort: port(values['tcp-port'], DEFAULT_TCP_PORT),
      wsPort: port(values['ws-port'], DEFAULT_WS_PORT),
      httpPort: port(values['http-port'], DEFAULT_HTTP_PORT),
      meta: values.meta ?? false,
      bootstrap: values.bootstrap ?? [],
      announce: values.announce ?? [],
      ...(values['resource-peer'] ? { resourcePeers: values['resource-peer'] } : {}),
      ...(values['public-url'] ? { publicGatewayUrl: values['public-url'] } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      ...(values['max-relay-reservations']
        ? { maxRelayReservations: positiveInt(values['max-relay-reservations'], 'relay reservations') }
        : {}),
      ...(values['stream-timeout']
        ? { streamTimeoutMs: positiveInt(values['stream-timeout'], 'stream timeout') }
        : {}),
      ...(values['write-timeout']
        ? { writeTimeoutMs: positiveInt(values['write-timeout'], 'write timeout') }
        : {}),
      ...(values['read-cache'] ? { readCacheBytes: parseBytes(values['read-cache']) } : {}),
      ...(values['trust-proxy'] ? { trustProxy: true } : {}),
      ...(tickets ? { tickets } : {}),
      ...quotaInit(values, parseBytes),
      ...(traffic ? { traffic } : {}),
      ...(providerTraffic ? { providerTraffic } : {}),
    },
    { logger },
  )
  await node.start()
  process.stdout.write(`${JSON.stringify(node.readyInfo())}\n`)
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info('stopping', { signal })
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  const forced = setTimeout(() => process.exit(1), 10_000)
  forced.unref()
  await node.stop()
  return 0
}
