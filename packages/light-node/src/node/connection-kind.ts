import type { Connection } from '@libp2p/interface'
import type { ConnectionStat } from '../api-types.js'

/** What kind of link a libp2p connection is, as `stat()` and the provider choice see it. */
export function connectionKind(conn: Pick<Connection, 'remoteAddr' | 'limits'>): ConnectionStat['kind'] {
  const addr = conn.remoteAddr.toString()
  if (addr.includes('/p2p-circuit')) {
    return addr.includes('/webrtc') && conn.limits === undefined ? 'webrtc' : 'relayed'
  }
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/ws')) return 'websockets'
  return 'other'
}
