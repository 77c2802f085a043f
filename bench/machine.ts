// The machine description every results file carries, so figures are compared only like for like.
import { cpus, freemem, platform, release, totalmem } from 'node:os'

export function describeMachine(): Record<string, unknown> {
  const cpu = cpus()
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpuModel: cpu[0]?.model,
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    date: new Date().toISOString(),
  }
}
