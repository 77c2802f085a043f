// Core hashing and slicing: file-hash throughput against raw Keccak-256 over the same bytes in the same
// run, and peak memory of slicing 64 MiB vs 1 GiB (run in fresh child processes so heaps do not mix).
import { spawnSync } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createKeccakStream, DEFAULT_SLICE_SIZE, hashFile, sliceFile } from '@stratos-edge/core'
import { createKeccak } from 'hash-wasm'
import { median, writeResults } from '../results.js'

const MiB = 1024 * 1024
const CHUNK = MiB // what Blob.slice reads hand the slicer

async function* chunksOf(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += CHUNK) yield data.subarray(i, i + CHUNK)
}

async function* randomChunks(total: number): AsyncGenerator<Uint8Array> {
  for (let left = total; left > 0; left -= CHUNK) yield randomFillSync(new Uint8Array(Math.min(CHUNK, left)))
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000)
}

async function throughput(): Promise<Record<string, unknown>> {
  const size = 256 * MiB
  const data = randomFillSync(new Uint8Array(size))
  const runs = 5
  const raw: number[] = []
  const hashWasm: number[] = []
  const native: number[] = []
  const fileHash: number[] = []
  const sliced: number[] = []
  const keccak = await createKeccakStream()
  const reference = await createKeccak(256)
  for (let run = 0; run < runs; run++) {
    // Interleave the variants so machine noise hits each alike.
    let t = performance.now()
    keccak.update(data)
    keccak.digest()
    raw.push(mbps(size, performance.now() - t))

    t = performance.now()
    reference.init()
    reference.update(data)
    reference.digest('binary')
    hashWasm.push(mbps(size, performance.now() - t))

    t = performance.now()
    createHash('sha3-256').update(data).digest()
    native.push(mbps(size, performance.now() - t))

    t = performance.now()
    await hashFile(chunksOf(data))
    fileHash.push(mbps(size, performance.now() - t))

    t = performance.now()
    await sliceFile(chunksOf(data), { onSlice: () => {} })
    sliced.push(mbps(size, performance.now() - t))
  }
  const result = {
    bytes: size,
    runs,
    rawKeccakWasmMBps: median(raw),
    hashWasmKeccakMBps: median(hashWasm),
    rawRatioToHashWasm: median(raw) / median(hashWasm),
    nativeSha3_256MBps: median(native),
    fileHashMBps: median(fileHash),
    fileHashRatioToRawKeccak: median(fileHash) / median(raw),
    sliceFileMBps: median(sliced),
    sliceFileRatioToRawKeccak: median(sliced) / median(raw),
    note:
      "raw = core's WebAssembly Keccak-256 (createKeccakStream) over the whole buffer in one call; hash-wasm's " +
      'Keccak-256 (what core used before) over the same buffer for reference; fileHash = hashFile streaming 1 MiB chunks; ' +
      'sliceFile hashes every byte twice (file keccak + slice keccak) in one pass, so its ceiling is 0.5 of raw on one core. ' +
      'native sha3-256 (OpenSSL, same permutation, different padding) is shown for reference only: it cannot run in browsers.',
  }
  console.log(
    `raw keccak ${result.rawKeccakWasmMBps.toFixed(0)} MB/s (hash-wasm ${result.hashWasmKeccakMBps.toFixed(0)}), file hash ${result.fileHashMBps.toFixed(0)} MB/s ` +
      `(ratio ${result.fileHashRatioToRawKeccak.toFixed(3)}), sliceFile ${result.sliceFileMBps.toFixed(0)} MB/s ` +
      `(ratio ${result.sliceFileRatioToRawKeccak.toFixed(3)}), native sha3 ${result.nativeSha3_256MBps.toFixed(0)} MB/s`,
  )
  return result
}

/** Child mode: slice `total` random bytes, discarding slices as a store would, and report peak memory. */
async function memoryChild(total: number): Promise<void> {
  const base = process.memoryUsage()
  let peakRss = base.rss
  let peakArrayBuffers = base.arrayBuffers
  const sample = () => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers)
  }
  const timer = setInterval(sample, 5)
  await sliceFile(randomChunks(total), { onSlice: sample })
  clearInterval(timer)
  sample()
  process.stdout.write(
    JSON.stringify({ total, baseRss: base.rss, peakRssGrowth: peakRss - base.rss, peakArrayBuffers }),
  )
}

async function memory(): Promise<Record<string, unknown>> {
  const self = fileURLToPath(import.meta.url)
  const measure = (total: number) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, 'memory-child', String(total)], {
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(r.stderr)
    return JSON.parse(r.stdout) as { peakRssGrowth: number; peakArrayBuffers: number }
  }
  const small = measure(64 * MiB)
  const large = measure(1024 * MiB)
  const result = {
    sliceSize: DEFAULT_SLICE_SIZE,
    peakRssGrowth64MiB: small.peakRssGrowth,
    peakRssGrowth1GiB: large.peakRssGrowth,
    peakArrayBuffers64MiB: small.peakArrayBuffers,
    peakArrayBuffers1GiB: large.peakArrayBuffers,
    rssGrowthRatio1GiBTo64MiB: large.peakRssGrowth / small.peakRssGrowth,
    arrayBuffersRatio1GiBTo64MiB: large.peakArrayBuffers / small.peakArrayBuffers,
  }
  console.log(
    `slicing peak RSS growth: 64 MiB ${(small.peakRssGrowth / MiB).toFixed(1)} MiB, 1 GiB ${(large.peakRssGrowth / MiB).toFixed(1)} MiB; ` +
      `peak ArrayBuffers ${(small.peakArrayBuffers / MiB).toFixed(1)} vs ${(large.peakArrayBuffers / MiB).toFixed(1)} MiB`,
  )
  return result
}

if (process.argv[2] === 'memory-child') {
  await memoryChild(Number(process.argv[3]))
} else {
  const hashing = await throughput()
  const mem = await memory()
  writeResults('core-hash', {
    hashing,
    memory: mem,
    targets: {
      fileHashAtLeast80PercentOfRaw: (hashing.fileHashRatioToRawKeccak as number) >= 0.8,
      slicingMemoryFlat: (mem.rssGrowthRatio1GiBTo64MiB as number) < 1.5,
    },
  })
}
