/** A real gateway serving one file from memory and counting the bytes it serves, for traffic tests. */
import type { ServedTraffic } from '../../src/gateway/served-traffic.js'
import { type Gateway, type NodeMetrics, startGateway } from '../../src/index.js'
import { quietLogger, type TestFile } from '../helpers.js'

/** Options of {@link startCountingGateway}. */
export interface CountingGatewayInit {
  metrics: NodeMetrics
  /** Every file byte served is added here, per owner and file. */
  served: ServedTraffic
  /** What `GET /v1/status/traffic` answers. */
  trafficStatus(): Promise<unknown>
}

/** Starts a gateway on a free loopback port whose only manifest is `file`'s, its slices from memory. */
export function startCountingGateway(file: TestFile, init: CountingGatewayInit): Promise<Gateway> {
  const slices = new Map(file.slices.map((s) => [s.hash, s]))
  return startGateway({
    host: '127.0.0.1',
    port: 0,
    metrics: init.metrics,
    logger: quietLogger,
    health: () => ({}),
    getManifest: async () => file.manifest,
    async *readSlice(hash, from, to) {
      yield (slices.get(hash)?.data ?? new Uint8Array()).subarray(from, to)
    },
    onFileBytes: (manifest, bytes) => init.served.add(manifest.owner, manifest.fileHash, bytes),
    trafficStatus: () => init.trafficStatus(),
  })
}
