// CPU time of the processes a browser benchmark runs on, by kind, read from /proc. On a machine with
// few cores a transfer is often CPU-bound across several processes (Chromium's network service carries
// every WebRTC packet), so "how much CPU per MB, and where" explains a throughput ratio better than the
// ratio alone.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/**
 * Seconds of CPU (user + system) used so far, by process kind and thread: keys are `<kind> / <thread>`,
 * where the thread is `main` or its Linux name with digits folded (Chromium's `DedicatedWorker thread`,
 * `WebRTC_W_and_N`, `Chrome_ChildIOThread`; a Node process names its worker threads `node`), truncated
 * by Linux to 15 characters.
 */
export type CpuTimes = Record<string, number>

/** The separator between a key's process kind and its thread. */
const KIND_THREAD = ' / '

const ticksPerSecond = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** What a process is, from its command line; undefined for processes the benchmarks do not start. */
function kindOf(cmdline: string[]): string | undefined {
  const joined = cmdline.join(' ')
  if (/chromium/.test(cmdline[0] ?? '')) {
    const type = /--type=(\S+)/.exec(joined)?.[1]
    if (!type) return 'browser'
    if (type === 'utility') return /NetworkService/.test(joined) ? 'network service' : 'utility'
    return type // renderer (pages and their workers), gpu-process, zygote
  }
  if (joined.includes('stratos-e2e-node-')) return 'resource node' // its data directory's prefix
  return undefined
}

/** CPU seconds of one thread (or process) from its `stat` file. */
function cpuSecondsOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8')
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}

/**
 * CPU seconds of Chromium's processes (by type) and of the resource node, per thread and summed per
 * kind and thread name: threads of the same name in several processes of a kind add up (both pages'
 * light-node workers are `renderer / DedicatedWorker thread`).
 */
export function processCpu(): CpuTimes {
  const times: CpuTimes = {}
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const kind = kindOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'))
      if (!kind) continue
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const name =
            tid === pid
              ? 'main'
              : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+/g, '#')
          const key = `${kind}${KIND_THREAD}${name}`
          times[key] = (times[key] ?? 0) + cpuSecondsOf(`/proc/${pid}/task/${tid}/stat`)
        } catch {
          // The thread ended between listing and reading.
        }
      }
    } catch {
      // The process ended between listing and reading.
    }
  }
  return times
}

/** Per-thread figures (as from {@link cpuPerMB}) summed per process kind; `total` stays. */
export function byKind(perThread: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [key, value] of Object.entries(perThread)) {
    const kind = key === 'total' ? key : (key.split(KIND_THREAD)[0] ?? key)
    out[kind] = (out[kind] ?? 0) + value
  }
  return out
}

/** CPU milliseconds per MB moved, by key, between two samples (and their total). */
export function cpuPerMB(before: CpuTimes, after: CpuTimes, bytes: number): Record<string, number> {
  const out: Record<string, number> = {}
  let total = 0
  for (const kind of Object.keys(after)) {
    const ms = ((after[kind] ?? 0) - (before[kind] ?? 0)) * 1000
    if (ms <= 0) continue
    out[kind] = ms / (bytes / 1e6)
    total += ms
  }
  out.total = total / (bytes / 1e6)
  return out
}
