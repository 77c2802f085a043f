/** Node metrics for tests of parts that need a registry but no store or connections. */
import { createNodeMetrics, type NodeMetrics } from '../../src/index.js'

/** A fresh metrics registry whose store and connection gauges all read 0. */
export function idleNodeMetrics(): NodeMetrics {
  return createNodeMetrics({
    storeUsedBytes: () => 0,
    storeMaxBytes: () => 0,
    storeSlices: () => 0,
    connections: () => 0,
  })
}
