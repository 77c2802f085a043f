// What /proc says about a benchmarked process: memory, CPU, scheduler waits, open descriptors (Linux).
import { readdirSync, readFileSync } from 'node:fs'

/** The node's resident memory now and its peak so far (VmHWM), MiB. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

/** CPU seconds (user + system) a process used so far. */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * Seconds a process's threads ran and seconds they waited, runnable, for a CPU (sum of
 * /proc/<pid>/task/<tid>/schedstat): on a shared machine, "waits rather than computes" is often this.
 */
export function schedOf(pid: number): { run: number; queued: number; byThread: Record<string, number[]> } {
  let run = 0
  let queued = 0
  const byThread: Record<string, number[]> = {}
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [r, q] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number)
      run += (r ?? 0) / 1e9
      queued += (q ?? 0) / 1e9
      const name = `${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}#${tid}`
      byThread[name] = [(r ?? 0) / 1e9, (q ?? 0) / 1e9]
    } catch {
      // the thread ended
    }
  }
  return { run, queued, byThread }
}

/** Open file descriptors of a process (sockets included). */
export function openFdsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}
