import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeMachine } from './machine.js'

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results')

/** Writes `results/<suite>.json` with the machine's description and prints the path. */
export function writeResults(suite: string, results: Record<string, unknown>): void {
  mkdirSync(resultsDir, { recursive: true })
  const path = join(resultsDir, `${suite}.json`)
  writeFileSync(path, `${JSON.stringify({ suite, machine: describeMachine(), results }, null, 2)}\n`)
  console.log(`wrote ${path}`)
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}
