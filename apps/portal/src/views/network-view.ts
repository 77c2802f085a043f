/**
 * Network: the peers this node is connected to, their role (resource node, the meta service, a
 * browser), whether the connection is direct or relayed, and the traffic exchanged with each since this
 * page opened.
 */
import type { ConnectionStat } from '@stratos-edge/light-node'
import { html } from 'lit'
import { countOf, formatBytes } from '../format.ts'
import { PortalView } from './portal-view.ts'

const PATH: Record<ConnectionStat['kind'], string> = {
  websockets: 'direct (WebSockets)',
  webrtc: 'direct (WebRTC)',
  relayed: 'relayed',
  other: 'other',
}

export class NetworkView extends PortalView {
  private roleOf(peerId: string): string {
    const index = this.session?.resourcePeers.indexOf(peerId) ?? -1
    if (index === 0) return 'resource node + meta service'
    if (index > 0) return 'resource node'
    return 'browser'
  }

  override render() {
    const stat = this.session?.stat
    if (!stat) return html`<section><h2>Network</h2><p>The node has not started yet.</p></section>`
    // One row per peer: a browser may be reached both over the relay and directly.
    const peers = new Map<string, ConnectionStat[]>()
    for (const c of stat.connections) peers.set(c.peerId, [...(peers.get(c.peerId) ?? []), c])
    return html`<section aria-labelledby="network-title">
      <h2 id="network-title">Network</h2>
      <p>This node: <code class="wrap">${stat.peerId}</code></p>
      <p>${peers.size} peer${peers.size === 1 ? '' : 's'} connected. Traffic is counted since this page opened.</p>
      <div class="table-scroll" tabindex="0" role="region" aria-labelledby="peers-caption">
        <table id="peers">
          <caption class="visually-hidden" id="peers-caption">Connected peers</caption>
          <thead><tr><th scope="col">Peer</th><th scope="col">Role</th><th scope="col">Connection</th>
            <th scope="col">Served to it</th><th scope="col">Fetched from it</th></tr></thead>
          <tbody>
            ${[...peers].map(([peerId, conns]) => {
              const t = this.session?.traffic.get(peerId)
              return html`<tr>
                <td><code title=${peerId}>…${peerId.slice(-10)}</code></td>
                <td>${this.roleOf(peerId)}</td>
                <td>${[...new Set(conns.map((c) => PATH[c.kind]))].join(', ')}</td>
                <td>${formatBytes(t?.servedBytes ?? 0)}</td>
                <td>${formatBytes(t?.fetchedBytes ?? 0)}</td>
              </tr>`
            })}
          </tbody>
        </table>
      </div>
      <dl class="facts">
        <dt>Served in total</dt><dd>${formatBytes(stat.served.bytes)} in ${countOf(stat.served.slices, 'slice')}</dd>
        <dt>Fetched in total</dt><dd>${formatBytes(stat.fetched.bytes)} in ${countOf(stat.fetched.slices, 'slice')}</dd>
        <dt>Providers dropped for bad data</dt><dd>${stat.fetched.badProviders}</dd>
      </dl>
    </section>`
  }
}
customElements.define('network-view', NetworkView)
