// The network inside the namespace the browser tests and benchmarks run in (`unshare -n`, root): loopback
// plus a veth pair, 10.99.0.1/24 on one end, both ends up, with a default route over it. Chromium needs a
// non-loopback interface to gather ICE candidates; every packet stays inside the namespace.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const NETNS_ADDRESS = '10.99.0.1'

function ip(args) {
  const r = spawnSync('ip', args, { stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status})`)
}

/** Configures the namespace's network; call it inside the fresh namespace before anything listens. */
export function setUpTestNetwork() {
  ip(['link', 'set', 'lo', 'up'])
  ip(['link', 'add', 'se0', 'type', 'veth', 'peer', 'name', 'se1'])
  // No IPv6 link-local addresses on the veth: the kernel adds them 1.5-2 s after the link comes up (once
  // duplicate address detection ends), and Chromium takes a new address for a network change and fails
  // every request in flight with ERR_NETWORK_CHANGED, such as the worker's module imports at start.
  // A kernel without IPv6 has no such addresses to suppress.
  if (existsSync('/proc/sys/net/ipv6')) {
    for (const dev of ['se0', 'se1']) ip(['link', 'set', 'dev', dev, 'addrgenmode', 'none'])
  }
  ip(['addr', 'add', `${NETNS_ADDRESS}/24`, 'dev', 'se0'])
  ip(['link', 'set', 'se0', 'up'])
  ip(['link', 'set', 'se1', 'up'])
  ip(['route', 'add', 'default', 'dev', 'se0'])
}
