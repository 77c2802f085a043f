// The command line the resource-node benches start a meta node with.

/**
 * `start` arguments for a meta node with its data in `dataDir`, TCP, WebSockets and HTTP on free ports,
 * logging errors only; then `extra`, then whatever `BENCH_NODE_ARGS` holds (e.g.
 * `BENCH_NODE_ARGS=--no-rate-limits`, to compare with the quotas off in one sitting).
 */
export function metaNodeArgs(dataDir: string, extra: readonly string[] = []): string[] {
  const ports = ['--tcp-port', '0', '--ws-port', '0', '--http-port', '0']
  const fromEnv = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  return ['start', '--meta', '--data-dir', dataDir, ...ports, '--log-level', 'error', ...extra, ...fromEnv]
}
