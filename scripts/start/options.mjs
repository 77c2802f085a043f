// The options of `npm start` (scripts/start.mjs): fixed default ports, each overridable by a flag or an
// environment variable, and the text of --help.
import { parseArgs } from 'node:util'
import { DEMO_WALLET_HELP } from '../demo-wallet.mjs'
import { DEFAULT_FREE_OZONE, TICKETS_HELP } from './tickets.mjs'

/** Every port `npm start` opens: [option name, environment variable, default, what listens]. */
export const PORTS = [
  ['portal-port', 'STRATOS_EDGE_PORTAL_PORT', 5173, 'portal (static page)'],
  ['widget-port', 'STRATOS_EDGE_WIDGET_PORT', 5174, 'NFT widget demo (static page)'],
  ['snippet-port', 'STRATOS_EDGE_SNIPPET_PORT', 5175, 'contributor snippet (script + frame)'],
  ['snippet-demo-port', 'STRATOS_EDGE_SNIPPET_DEMO_PORT', 5176, 'a third-party page embedding the snippet'],
  ['ethereum-port', 'STRATOS_EDGE_ETHEREUM_PORT', 8545, '"Ethereum" anvil JSON-RPC'],
  ['polygon-port', 'STRATOS_EDGE_POLYGON_PORT', 8546, '"Polygon" anvil JSON-RPC'],
  ['node1-tcp-port', 'STRATOS_EDGE_NODE1_TCP_PORT', 7401, 'resource node 1 (meta) libp2p TCP'],
  ['node1-ws-port', 'STRATOS_EDGE_NODE1_WS_PORT', 7402, 'resource node 1 (meta) libp2p WebSockets'],
  ['node1-http-port', 'STRATOS_EDGE_NODE1_HTTP_PORT', 7480, 'resource node 1 (meta) HTTP gateway'],
  ['node2-tcp-port', 'STRATOS_EDGE_NODE2_TCP_PORT', 7411, 'resource node 2 libp2p TCP'],
  ['node2-ws-port', 'STRATOS_EDGE_NODE2_WS_PORT', 7412, 'resource node 2 libp2p WebSockets'],
  ['node2-http-port', 'STRATOS_EDGE_NODE2_HTTP_PORT', 7490, 'resource node 2 HTTP gateway'],
]

export function usage() {
  const ports = PORTS.map(
    ([name, env, def, what]) => `  --${`${name} <n>`.padEnd(22)} ${what} (default ${def}; $${env})`,
  ).join('\n')
  return `Usage: npm start -- [options]      (or: node scripts/start.mjs [options])

Starts the local Stratos Edge network: two anvil chains with the contracts deployed, two resource nodes
(the first runs the meta service), the portal, the contributor snippet with a page that embeds it,
and the NFT widget demo. All state lives in one data
directory, which survives restarts (the chains' state is saved when it stops). Stop with Ctrl-C, SIGTERM
or SIGHUP: every child process is stopped and "stopped" is printed.

Options:
  --data-dir <dir>         all state and logs (default ./.data; $STRATOS_EDGE_DATA_DIR)
${ports}
  --ephemeral-ports        every service on a free port (tests)
  --ethereum-rpc <url>     use this Ethereum JSON-RPC instead of starting anvil (with --polygon-rpc)
  --polygon-rpc <url>      use this Polygon JSON-RPC instead of starting anvil (with --ethereum-rpc)
  --once                   start everything, print the summary, stop again (a smoke check)
  -h, --help               this text

${TICKETS_HELP}

${DEMO_WALLET_HELP}

A port already in use, or a data directory another instance holds, stops the start with one line
saying which.
`
}

/** A command-line mistake: printed as one line with a pointer to --help. */
export class StartOptionsError extends Error {
  name = 'StartOptionsError'
}

function toPort(text, what) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new StartOptionsError(`invalid port for ${what}: ${text}`)
  return n
}

/**
 * Parses argv and the environment.
 * @returns {{ help: boolean, once: boolean, dataDir: string | undefined, ports: Record<string, number>,
 *   freeOzone: string, ethereumRpc?: string, polygonRpc?: string }}
 */
export function parseStartOptions(argv, env) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        once: { type: 'boolean' },
        'ephemeral-ports': { type: 'boolean' },
        'data-dir': { type: 'string' },
        'ethereum-rpc': { type: 'string' },
        'polygon-rpc': { type: 'string' },
        'free-ozone': { type: 'string' },
        // Read by scripts/demo-wallet.mjs from process.argv.
        wallet: { type: 'string' },
        'no-demo-wallet': { type: 'boolean' },
        ...Object.fromEntries(PORTS.map(([name]) => [name, { type: 'string' }])),
      },
      strict: true,
      allowPositionals: false,
    })
  } catch (err) {
    throw new StartOptionsError(err.message)
  }
  const v = parsed.values
  const ephemeral = v['ephemeral-ports'] === true
  const ports = {}
  for (const [name, envName, def] of PORTS) {
    const text = v[name] ?? env[envName]
    ports[name] = text !== undefined ? toPort(text, `--${name}`) : ephemeral ? 0 : def
  }
  if ((v['ethereum-rpc'] === undefined) !== (v['polygon-rpc'] === undefined))
    throw new StartOptionsError('--ethereum-rpc and --polygon-rpc go together')
  const freeOzone = v['free-ozone'] ?? DEFAULT_FREE_OZONE
  if (!/^\d+[kmgt]?$/i.test(freeOzone))
    throw new StartOptionsError(`invalid --free-ozone: ${freeOzone} (bytes, e.g. 0, 64m, 1g)`)
  return {
    help: v.help === true,
    once: v.once === true,
    dataDir: v['data-dir'] ?? env.STRATOS_EDGE_DATA_DIR,
    ports,
    freeOzone,
    ...(v['ethereum-rpc'] ? { ethereumRpc: v['ethereum-rpc'], polygonRpc: v['polygon-rpc'] } : {}),
  }
}
