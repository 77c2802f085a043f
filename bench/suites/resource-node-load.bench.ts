// The resource node under hostile load, on loopback (every loop bounded by a deadline or a count):
//  - gateway vs raw: 200 concurrent readers of a 64 MiB file for a fixed window, against the gateway and
//    against a raw Node static-file HTTP server (fs.createReadStream of the same bytes on disk), in
//    alternation in the same run: aggregate MB/s and their ratio;
//  - the attack, all at once: 200 readers of the 64 MiB file, 50 readers that request it and never read,
//    10 uploads trickling one byte every 10 s (from another loopback address, one attacker), and a good
//    client that uploads (4 slices of 1 MiB over HTTP + manifest) and downloads (sdm:// URI) 4 MiB files
//    one after another: its p50/p99 per upload and per download, the node's peak RSS (VmHWM and sampled),
//    the gateway's throughput meanwhile, stalled readers dropped (the node's own counter), and `verify`
//    of the data directory afterwards.
// Where the time goes: per window, the seconds per second the serving process ran and waited runnable for
// a CPU (schedstat; BENCH_LOAD_THREADS=1 prints them per thread), and during the attack the node's
// /healthz round trip (its event-loop delay) and a 1 MiB write + fdatasync on its disk.
// The readers and attackers run in a child process, so their CPU does not stall the good client's timer.
import { spawn, spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { mkdtemp, open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import {
  createManifest,
  encodeManifest,
  formatSdmUri,
  keyPairFromPrivateKey,
  type SlicedFile,
  signManifest,
  sliceFile,
} from '@stratos-edge/core'
import { createIndexClient, type SliceRecord, sliceUploadHeaders, uploadSlice } from '@stratos-edge/protocol'
import { RESOURCE_NODE_BIN, spawnResourceNode } from '@stratos-edge/resource-node'
import { createLibp2p } from 'libp2p'
import { firstJsonLine, type LoadReport, RAW_SERVER, runLoad } from '../load-clients.js'
import { metaNodeArgs } from '../meta-node-args.js'
import { cpuSecondsOf, memoryOf, openFdsOf, schedOf } from '../proc-stats.js'
import { randomBytes } from '../random-bytes.js'
import { median, writeResults } from '../results.js'

const MiB = 1024 * 1024
const SIZE = 64 * MiB
const READERS = Number(process.env.BENCH_LOAD_READERS ?? 200)
const STALLERS = Number(process.env.BENCH_LOAD_STALLERS ?? 50)
const TRICKLERS = 10
/** Seconds of each gateway or raw throughput window (WINDOWS of each, alternating). */
const WINDOW_S = Number(process.env.BENCH_LOAD_WINDOW_S ?? 6)
/** Windows of each: short and alternating, so load from elsewhere on the machine falls on both alike. */
const WINDOWS = Number(process.env.BENCH_LOAD_WINDOWS ?? 5)
/** Seconds of the attack: longer than the write timeout, so stalled readers are dropped within it. */
const ATTACK_S = Number(process.env.BENCH_LOAD_ATTACK_S ?? 45)
/** The node's default write timeout. */
const WRITE_TIMEOUT_MS = 30_000
/** Good-client files prepared (the attack loop uses each once at most). */
const GOOD_FILES = 40

const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(1))

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN
}

const slicesOf = (bytes: Uint8Array, sliced: SlicedFile): SliceRecord[] =>
  sliced.slices.map((s) => ({
    hash: s.hash,
    fileHash: sliced.fileHash,
    number: s.number,
    data: bytes.subarray(s.offset, s.offset + s.size),
  }))

const manifestOf = (sliced: SlicedFile) =>
  encodeManifest(signManifest(createManifest({ sliced, owner: owner.address }), owner.privateKey))

const dir = await mkdtemp(join(tmpdir(), 'stratos-bench-load-'))
const rawPath = join(dir, 'file.bin')
const bytes = randomBytes(SIZE)
writeFileSync(rawPath, bytes)
const sliced = await sliceFile(bytes, { sliceSize: 4 * MiB })
const big = slicesOf(bytes, sliced)
// Good-client files, prepared before anything is timed.
const good = await Promise.all(
  Array.from({ length: GOOD_FILES }, async () => {
    const b = randomBytes(4 * MiB)
    const s = await sliceFile(b, { sliceSize: MiB })
    return { bytes: b, sliced: s, slices: slicesOf(b, s), manifest: manifestOf(s) }
  }),
)

const raw = spawn(process.execPath, ['-e', RAW_SERVER, rawPath], { stdio: ['ignore', 'pipe', 'inherit'] })
const { port: rawPort } = await firstJsonLine<{ port: number }>(raw)
const dataDir = join(dir, 'node')
const node = await spawnResourceNode({
  // The write timeout is set here, not left to the default (120 s), so the stalled readers are dropped
  // within the attack.
  args: metaNodeArgs(dataDir, ['--write-timeout', String(WRITE_TIMEOUT_MS)]),
  stderr: 'inherit',
})
const pid = node.child.pid as number
const gatewayUrl = node.ready.gatewayUrl
const client = await createLibp2p({
  transports: [webSockets(), tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
})
const index = createIndexClient(client, multiaddr(node.ready.wsMultiaddrs[0] as string))

const samples: { phase: string; rss: number }[] = []
let phase = 'setup'
const sampler = setInterval(() => {
  try {
    samples.push({ phase, rss: memoryOf(pid).rss })
  } catch {
    // the node is gone
  }
}, 200)

const fileUrl = `${gatewayUrl}/v1/files/${sliced.fileHash}`
const throughput = { raw: [] as number[], gateway: [] as number[] }
/** CPU milliseconds per MB served, of the serving process, per window. */
const cpuPerMB = { raw: [] as number[], gateway: [] as number[] }
/** Of each window's wall time, the share the serving process's threads ran and waited runnable for a CPU. */
const sched = {
  raw: [] as { run: number; queued: number }[],
  gateway: [] as { run: number; queued: number }[],
}
/** The node's open file descriptors after each window (a leak of sockets would show here). */
const nodeFds: number[] = []
let attack: LoadReport | undefined
const latency = { upload: [] as number[], slices: [] as number[], download: [] as number[] }
let goodFailures = 0
/** During the attack: the node's /healthz round trip and a 1 MiB write + fdatasync on its disk, ms. */
const probes = { healthz: [] as number[], fsync: [] as number[] }
let verify: { ok?: number; corrupt?: string[] } = {}
let metricsText = ''
let peakAfterAttack = 0
let rssBeforeAttack = 0

try {
  // The 64 MiB file: 16 slices of 4 MiB over HTTP, 3 in flight, then its manifest.
  let next = 0
  const sender = async () => {
    while (next < big.length) await uploadSlice(gatewayUrl, big[next++] as SliceRecord)
  }
  await Promise.all([sender(), sender(), sender()])
  await index.putManifest(manifestOf(sliced))
  const check = await (await fetch(fileUrl)).arrayBuffer()
  if (Buffer.compare(Buffer.from(check), Buffer.from(bytes)) !== 0)
    throw new Error('gateway served other bytes')

  const targets = Array.from({ length: 2 * WINDOWS }, (_, i): 'raw' | 'gateway' =>
    i % 2 === 0 ? 'raw' : 'gateway',
  )
  for (const target of targets) {
    phase = target
    const url = target === 'raw' ? `http://127.0.0.1:${rawPort}/` : fileUrl
    const server = target === 'raw' ? (raw.pid as number) : pid
    const cpuBefore = cpuSecondsOf(server)
    const schedBefore = schedOf(server)
    const r = await runLoad({ url, readers: READERS, seconds: WINDOW_S }).report
    const schedAfter = schedOf(server)
    if (process.env.BENCH_LOAD_THREADS)
      console.log(
        Object.entries(schedAfter.byThread)
          .map(
            ([k, [r, q]]) =>
              [
                k,
                (r ?? 0) - (schedBefore.byThread[k]?.[0] ?? 0),
                (q ?? 0) - (schedBefore.byThread[k]?.[1] ?? 0),
              ] as const,
          )
          .filter(([, r, q]) => r + q > 0.05)
          .map(([k, r, q]) => `${k} ran ${r.toFixed(2)} queued ${q.toFixed(2)}`)
          .join('; '),
      )
    sched[target].push({
      run: (schedAfter.run - schedBefore.run) / r.seconds,
      queued: (schedAfter.queued - schedBefore.queued) / r.seconds,
    })
    const mbps = r.bytes / 1e6 / r.seconds
    throughput[target].push(mbps)
    cpuPerMB[target].push(((cpuSecondsOf(server) - cpuBefore) * 1000) / (r.bytes / 1e6))
    await new Promise((resolve) => setTimeout(resolve, 500)) // the closed connections' close handled
    nodeFds.push(openFdsOf(pid))
    console.log(
      `${target}: ${READERS} readers, ${mbps.toFixed(0)} MB/s, ${cpuPerMB[target].at(-1)?.toFixed(2)} CPU ms/MB, ` +
        `ran ${sched[target].at(-1)?.run.toFixed(2)} s/s, queued ${sched[target].at(-1)?.queued.toFixed(2)} s/s, ` +
        `node fds ${nodeFds.at(-1)} (${r.completed} whole files, ${r.errors} errors)`,
    )
  }

  phase = 'attack'
  rssBeforeAttack = memoryOf(pid).rss
  // Trickled uploads name a slice of the last prepared file, which the good client never sends.
  const trickleSlice = good.at(-1)?.slices[0] as SliceRecord
  const load = runLoad({
    url: fileUrl,
    uploadUrl: `${gatewayUrl}/v1/slices`,
    readers: READERS,
    stallers: STALLERS,
    tricklers: TRICKLERS,
    seconds: ATTACK_S,
    trickleHeaders: {
      ...sliceUploadHeaders(trickleSlice),
      'content-length': String(trickleSlice.data.length),
    },
  })
  const attackEnds = Date.now() + ATTACK_S * 1000
  // Probes of where an upload's time can go, every 500 ms until the attack ends: the node's answer to
  // /healthz (its event loop's delay under the readers), and a 1 MiB write + fdatasync next to its data.
  const probing = (async () => {
    const probePath = join(dir, 'probe.bin')
    const mib = randomBytes(MiB)
    for (let i = 0; i < 1000 && Date.now() < attackEnds - 1000; i++) {
      let t = performance.now()
      await fetch(`${gatewayUrl}/healthz`, { signal: AbortSignal.timeout(20_000) }).then((r) => r.text())
      probes.healthz.push(performance.now() - t)
      t = performance.now()
      const fh = await open(probePath, 'w')
      await fh.write(mib, 0, mib.length, 0)
      await fh.datasync()
      await fh.close()
      probes.fsync.push(performance.now() - t)
      await new Promise((r) => setTimeout(r, 500))
    }
  })().catch((error) => console.error('probe:', error))
  await new Promise((r) => setTimeout(r, 1000)) // the attack under way first
  // The good client: bounded by the attack's end and by the files prepared.
  for (const f of good.slice(0, -1)) {
    if (Date.now() > attackEnds - 2000) break
    try {
      let t = performance.now()
      await Promise.all(f.slices.map((s) => uploadSlice(gatewayUrl, s, { timeout: 20_000 })))
      latency.slices.push(performance.now() - t)
      await index.putManifest(f.manifest, { timeout: 20_000 })
      latency.upload.push(performance.now() - t)
      t = performance.now()
      const res = await fetch(`${gatewayUrl}/v1/files/${formatSdmUri(owner.address, f.sliced.fileHash)}`, {
        signal: AbortSignal.timeout(20_000),
      })
      const body = Buffer.from(await res.arrayBuffer())
      latency.download.push(performance.now() - t)
      if (res.status !== 200 || Buffer.compare(body, Buffer.from(f.bytes)) !== 0) goodFailures++
    } catch (error) {
      goodFailures++
      console.error('good client:', error)
    }
  }
  attack = await load.report
  await probing
  peakAfterAttack = memoryOf(pid).peak
  metricsText = await (await fetch(`${gatewayUrl}/metrics`)).text()
} finally {
  clearInterval(sampler)
  await client.stop()
  await node.stop()
  raw.kill()
}
const v = spawnSync(
  process.execPath,
  [RESOURCE_NODE_BIN, 'verify', '--data-dir', dataDir, '--log-level', 'error'],
  {
    encoding: 'utf8',
  },
)
verify = JSON.parse(v.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}')
rmSync(dir, { recursive: true, force: true })

const counter = (name: string, labels = ''): number =>
  Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(metricsText)?.[1] ?? 0)
const peakOf = (p: string) => Math.max(0, ...samples.filter((s) => s.phase === p).map((s) => s.rss))
const attackMBps = attack ? attack.bytes / 1e6 / attack.seconds : 0
const results = {
  fileBytes: SIZE,
  sliceSize: 4 * MiB,
  readers: READERS,
  stalledReaders: STALLERS,
  trickleUploads: TRICKLERS,
  windowSeconds: WINDOW_S,
  windowsEach: WINDOWS,
  attackSeconds: ATTACK_S,
  writeTimeoutMs: WRITE_TIMEOUT_MS,
  rawStaticMBps: median(throughput.raw),
  gatewayMBps: median(throughput.gateway),
  gatewayRatioToRaw: median(throughput.gateway) / median(throughput.raw),
  rawRuns: throughput.raw,
  gatewayRuns: throughput.gateway,
  /** CPU ms per MB of the serving process (the node, or the raw server), per window. */
  /** CPU per MB of the node serving the gateway over that of the raw server (lower is cheaper). */
  gatewayCpuPerMBRatioToRaw: median(cpuPerMB.gateway) / median(cpuPerMB.raw),
  rawCpuMsPerMB: cpuPerMB.raw,
  gatewayCpuMsPerMB: cpuPerMB.gateway,
  /**
   * Per window, seconds per second the serving process's threads ran on a CPU and waited runnable for
   * one (schedstat): a process that is starved of CPU by the machine's other load queues, one that
   * waits on I/O or timers does neither.
   */
  rawSched: sched.raw,
  gatewaySched: sched.gateway,
  nodeOpenFdsAfterEachWindow: nodeFds,
  attack: {
    gatewayMBps: attackMBps,
    gatewayRatioToRaw: attackMBps / median(throughput.raw),
    wholeFilesRead: attack?.completed,
    /** Reads that failed before the window's end (those cut by it are not counted). */
    readerErrors: attack?.errors,
    /** Of the 50 stalled readers, those dropped by the end (seen by the client reading on afterwards). */
    stalledReadersDropped: attack?.stalledDropped,
    /** The node's count of readers it dropped for the write timeout (starved real readers included). */
    nodeStalledReadersCounter: counter('stratos_edge_gateway_stalled_readers_total'),
    /** Answers the trickled uploads got within the attack (none: still held, within their share). */
    trickleAnswers: attack?.trickleAnswers,
    goodClient: {
      files: latency.upload.length,
      failures: goodFailures,
      uploadP50Ms: percentile(latency.upload, 50),
      uploadP99Ms: percentile(latency.upload, 99),
      /** The upload's 4 slices alone (HTTP, verified and fsynced), without the manifest over libp2p. */
      uploadSlicesP50Ms: percentile(latency.slices, 50),
      uploadSlicesP99Ms: percentile(latency.slices, 99),
      downloadP50Ms: percentile(latency.download, 50),
      downloadP99Ms: percentile(latency.download, 99),
    },
    /** Where an upload's time can go: the node's event-loop delay (its /healthz round trip) and disk syncs. */
    probes: {
      healthzP50Ms: percentile(probes.healthz, 50),
      healthzP99Ms: percentile(probes.healthz, 99),
      writeFsync1MiBP50Ms: percentile(probes.fsync, 50),
      writeFsync1MiBP99Ms: percentile(probes.fsync, 99),
    },
  },
  node: {
    rssBeforeAttackMiB: rssBeforeAttack,
    peakRssMiB: peakAfterAttack,
    sampledPeakRssMiB: { raw: peakOf('raw'), gateway: peakOf('gateway'), attack: peakOf('attack') },
  },
  verifyAfter: verify,
  targets: {
    peakRssMiB: '<= 512',
    goodClientP99Ms: '< 2000',
    gatewayRatioToRaw: '>= 0.8',
  },
  note:
    'One resource node (CLI, --meta, its own process) on loopback; readers and attackers in a child ' +
    'process, the good client in this one. Throughput is bytes received by 200 concurrent whole-file ' +
    'readers over a fixed window (reads cut by its end count up to there), gateway and raw static server ' +
    'alternating (five windows each, medians). peakRssMiB is the node ' +
    "process's VmHWM over the whole run (setup upload included). Machine (2 cores) shared with other " +
    'work: figures swing; compare ratios within a run.',
}
console.log(JSON.stringify(results, null, 2))
writeResults('resource-node-load', results)
