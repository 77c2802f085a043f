// The clients of the resource-node load benchmark, each in a child process so their CPU does not stall
// the benchmark's own timers: a raw static-file server (the limit the gateway is compared with) and the
// readers and attackers (readers, stallers, tricklers), which print one JSON report line when done.
import { type ChildProcess, spawn } from 'node:child_process'

// Raw static-file server in its own process: the limit the gateway is compared with.
export const RAW_SERVER = `
const { createServer } = require('node:http')
const { createReadStream, statSync } = require('node:fs')
const path = process.argv[1]
const size = statSync(path).size
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' })
  createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(res)
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
`

// Readers and attackers in their own process. argv: JSON options; prints one JSON line with the counts.
const LOAD = `
const http = require('node:http')
const o = JSON.parse(process.argv[1])
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
const deadline = Date.now() + o.seconds * 1000
const open = new Set()
let bytes = 0, completed = 0, errors = 0, trickleAnswers = {}
const stalled = []
const stalledRequests = []
function get(url) {
  return new Promise((resolve) => {
    if (Date.now() >= deadline) return resolve()
    const req = http.get(url, { agent }, (res) => {
      res.on('data', (d) => { bytes += d.length })
      res.on('end', () => { completed++; resolve() })
      res.on('error', () => { if (Date.now() < deadline) errors++; resolve() })
    })
    open.add(req)
    req.on('error', () => { if (Date.now() < deadline) errors++; resolve() })
    req.on('close', () => { open.delete(req); resolve() })
  })
}
async function reader() {
  // Bounded: one whole-file read after another until the deadline (at most 1000).
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) await get(o.url)
}
function staller() {
  const req = http.get(o.url, { agent }, (res) => {
    res.pause() // and never reads
    stalled.push(res)
  })
  // Not in \`open\`: the window's end must not close them before they are checked.
  stalledRequests.push(req)
  req.on('error', () => {})
}
function trickler(i) {
  const req = http.request(o.uploadUrl, { method: 'POST', agent, localAddress: '127.0.0.2', headers: o.trickleHeaders })
  req.on('response', (res) => { trickleAnswers[res.statusCode] = (trickleAnswers[res.statusCode] || 0) + 1; res.resume() })
  req.on('error', () => {})
  open.add(req)
  let sent = 0
  const send = () => { if (sent < 1000 && !req.destroyed) { req.write(Buffer.of(sent & 255)); sent++ } }
  send()
  const timer = setInterval(send, 10_000)
  timer.unref()
}
const start = Date.now()
for (let i = 0; i < (o.tricklers || 0); i++) trickler(i)
for (let i = 0; i < (o.stallers || 0); i++) staller()
Promise.all(Array.from({ length: o.readers }, reader)).then(async () => {
  const seconds = (Date.now() - start) / 1000
  // Whether the node dropped the stalled readers: read on now; a dropped one ends short (not complete)
  // once the bytes buffered before the drop are read.
  const dropped = await Promise.all(stalled.map((res) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 3000)
    res.on('data', () => {})
    res.on('error', () => {})
    res.on('close', () => { clearTimeout(timer); resolve(!res.complete) })
    res.resume()
  })))
  for (const r of [...open, ...stalledRequests]) r.destroy()
  const stalledDropped = dropped.filter(Boolean).length
  console.log(JSON.stringify({ bytes, completed, errors, seconds, trickleAnswers, stalledDropped }))
  process.exit(0)
})
setTimeout(() => {
  for (const r of open) r.destroy()
}, o.seconds * 1000).unref()
`

/** The load process's report line. */
export interface LoadReport {
  bytes: number
  completed: number
  errors: number
  seconds: number
  /** Stalled readers the node had dropped by the end of the window (seen by the client). */
  stalledDropped?: number
  trickleAnswers: Record<string, number>
}

/** Starts the readers and attackers (`options`: the LOAD script's JSON argv); `report` settles when it exits. */
export function runLoad(options: Record<string, unknown>): {
  child: ChildProcess
  report: Promise<LoadReport>
} {
  const child = spawn(process.execPath, ['-e', LOAD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout?.on('data', (d) => {
    out += String(d)
  })
  const report = new Promise<LoadReport>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line) as LoadReport)
      else reject(new Error(`load process exited ${code} without a report`))
    })
  })
  return { child, report }
}

/** The first line of a child's stdout that is a JSON object; rejects if the child exits first. */
export function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => {
      out += String(d)
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line) as T)
    })
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)))
  })
}
