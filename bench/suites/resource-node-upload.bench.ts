// Node-side throughput of the resource node, on loopback, medians over BENCH_REPS repetitions. The
// servers run in their own processes (as with a browser client); the client runs in this one:
//  - upload: push 64 MiB (16 × 4 MiB slices, window 8) to the `stratos-edge-node` CLI over libp2p
//    WebSockets + noise + yamux, every slice hash-verified and fsynced to disk before its ack, against a
//    raw WebSocket upload of the same bytes to a sink process in the same run (the limit);
//  - the same push over TCP (node to node, what replication uses);
//  - the HTTP upload browsers use (POST /v1/slices, 3 slices in flight), same verification and fsync;
//  - download: fetchSlice of the 16 slices (verified by the client) and the HTTP gateway streaming the
//    file (every slice re-verified), against a raw HTTP download of the same bytes from a sink process.
// The browser side (where noise runs in JavaScript) is measured by browser-light-node.bench.ts.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createManifest, encodeManifest, keyPairFromPrivateKey, signManifest } from '@stratos-edge/core'
import { createIndexClient, fetchSlice, openSlicePush, uploadSlice } from '@stratos-edge/protocol'
import { spawnResourceNode } from '@stratos-edge/resource-node'
import { createLibp2p } from 'libp2p'
import { firstJsonLine } from '../load-clients.js'
import { metaNodeArgs } from '../meta-node-args.js'
import { randomBytes } from '../random-bytes.js'
import { median, writeResults } from '../results.js'
import { sliceRecords } from '../slice-records.js'

const MiB = 1024 * 1024
const SIZE = 64 * MiB
const SLICE = 4 * MiB
const REPS = Number(process.env.BENCH_REPS ?? 5)

// A raw sink in its own process: WebSocket upload (answers "done" after `total` bytes) and HTTP download.
const SINK = `
const { createServer } = require('node:http')
const { WebSocketServer } = require(process.argv[1])
const total = Number(process.argv[2])
const body = Buffer.alloc(total, 7)
const server = createServer((req, res) => { res.writeHead(200, { 'content-length': total }); res.end(body) })
const wss = new WebSocketServer({ server })
wss.on('connection', (ws) => { let got = 0; ws.on('message', (d) => { got += d.length; if (got >= total) ws.send('done') }) })
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
`

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000)

async function rawWsUpload(port: number, bytes: Uint8Array): Promise<number> {
  // Node's built-in WebSocket: the same client implementation libp2p's WebSockets transport uses here.
  const ws = new WebSocket(`ws://127.0.0.1:${port}`)
  await new Promise((r) => ws.addEventListener('open', r, { once: true }))
  const start = performance.now()
  const done = new Promise((r) => ws.addEventListener('message', r, { once: true }))
  for (let o = 0; o < bytes.length; o += 256 * 1024) {
    ws.send(bytes.subarray(o, o + 256 * 1024))
    while (ws.bufferedAmount > 4 * MiB) await new Promise((r) => setTimeout(r, 1))
  }
  await done
  const ms = performance.now() - start
  ws.close()
  return mbps(bytes.length, ms)
}

async function rawHttpDownload(port: number): Promise<number> {
  const start = performance.now()
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer()
  if (body.byteLength !== SIZE) throw new Error('short raw download')
  return mbps(SIZE, performance.now() - start)
}

const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(1))
const r = {
  rawWs: [] as number[],
  rawHttp: [] as number[],
  pushWs: [] as number[],
  pushTcp: [] as number[],
  httpUpload: [] as number[],
}
const d = { fetch: [] as number[], gateway: [] as number[] }

const wsPath = fileURLToPath(import.meta.resolve('ws'))
const sink = spawn(process.execPath, ['-e', SINK, wsPath, String(SIZE)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const { port: sinkPort } = await firstJsonLine<{ port: number }>(sink)
const client = await createLibp2p({
  transports: [webSockets(), tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
})

try {
  for (let rep = 0; rep < REPS; rep++) {
    const bytes = randomBytes(SIZE)
    const { sliced, slices } = await sliceRecords(bytes, SLICE)
    const manifest = encodeManifest(
      signManifest(createManifest({ sliced, owner: owner.address }), owner.privateKey),
    )
    r.rawWs.push(await rawWsUpload(sinkPort, bytes))
    r.rawHttp.push(await rawHttpDownload(sinkPort))

    for (const transport of ['ws', 'tcp', 'http'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'stratos-bench-rn-'))
      const node = await spawnResourceNode({
        args: metaNodeArgs(dir),
        stderr: 'inherit',
      })
      try {
        const { ready } = node
        if (transport === 'http') {
          // What browsers use: POST /v1/slices, UPLOADS_IN_FLIGHT (3) at a time, as the light node does.
          const start = performance.now()
          let next = 0
          const sender = async () => {
            while (next < slices.length) await uploadSlice(ready.gatewayUrl, slices[next++]!)
          }
          await Promise.all([sender(), sender(), sender()])
          r.httpUpload.push(mbps(SIZE, performance.now() - start))
          continue
        }
        const addr = multiaddr(transport === 'ws' ? ready.wsMultiaddrs[0]! : ready.multiaddrs[0]!)
        let start = performance.now()
        const session = await openSlicePush(client, addr, { window: 8 })
        await Promise.all(slices.map((s) => session.push(s)))
        await session.close()
        ;(transport === 'ws' ? r.pushWs : r.pushTcp).push(mbps(SIZE, performance.now() - start))
        if (transport === 'ws') {
          await createIndexClient(client, addr).putManifest(manifest)
          start = performance.now()
          await Promise.all(slices.map((s) => fetchSlice(client, addr, s.hash)))
          d.fetch.push(mbps(SIZE, performance.now() - start))
          start = performance.now()
          const body = await (await fetch(`${ready.gatewayUrl}/v1/files/${sliced.fileHash}`)).arrayBuffer()
          d.gateway.push(mbps(SIZE, performance.now() - start))
          if (body.byteLength !== SIZE) throw new Error('short gateway download')
        }
      } finally {
        await node.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    }
    console.log(
      `rep ${rep + 1}/${REPS}: raw ws ${r.rawWs.at(-1)!.toFixed(0)} MB/s, push ws ${r.pushWs.at(-1)!.toFixed(0)}, ` +
        `push tcp ${r.pushTcp.at(-1)!.toFixed(0)}, http upload ${r.httpUpload.at(-1)!.toFixed(0)}, fetch ${d.fetch.at(-1)!.toFixed(0)}, ` +
        `raw http ${r.rawHttp.at(-1)!.toFixed(0)}, gateway ${d.gateway.at(-1)!.toFixed(0)}`,
    )
  }
} finally {
  await client.stop()
  sink.kill()
}

const results = {
  bytes: SIZE,
  sliceSize: SLICE,
  runs: REPS,
  rawWebSocketUploadMBps: median(r.rawWs),
  pushWebSocketMBps: median(r.pushWs),
  pushWebSocketRatioToRawWebSocket: median(r.pushWs) / median(r.rawWs),
  pushTcpMBps: median(r.pushTcp),
  pushTcpRatioToRawWebSocket: median(r.pushTcp) / median(r.rawWs),
  httpUploadMBps: median(r.httpUpload),
  httpUploadRatioToRawWebSocket: median(r.httpUpload) / median(r.rawWs),
  fetchMBps: median(d.fetch),
  fetchRatioToRawWebSocket: median(d.fetch) / median(r.rawWs),
  rawHttpDownloadMBps: median(r.rawHttp),
  gatewayMBps: median(d.gateway),
  gatewayRatioToRawHttp: median(d.gateway) / median(r.rawHttp),
  note:
    'Node client (native ChaCha20 in noise) → resource node CLI in another process, loopback. Push includes ' +
    'hash verification on a worker thread and an fsync per slice before each ack; the gateway re-verifies ' +
    'every slice it reads. The WebSocket push is limited by the Node client: its built-in (undici) ' +
    'WebSocket masks every frame in JavaScript and libp2p sends many small frames, while the raw upload ' +
    'sends 256 KiB messages; browsers mask natively. Machine shared with other work: figures swing; ' +
    'compare ratios within a run.',
}
console.log(results)
writeResults('resource-node-upload', results)
