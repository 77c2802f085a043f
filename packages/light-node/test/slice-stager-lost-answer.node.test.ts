/**
 * A staged slice the home node stored but whose answer was lost is committed all the same, so it is not
 * sent again and counted twice against the node's exact-sized ticket. The answer is lost for real: an
 * HTTP proxy in front of the node drops the connection once the node has replied.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  encodeTicket,
  generateKeyPair,
  issueTicket,
  keyPairFromPrivateKey,
  MIN_SLICE_SIZE,
  type SliceHash,
  sliceFile,
  toHex,
} from '@stratos-edge/core'
import { uploadSlice } from '@stratos-edge/protocol'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { afterEach, describe, expect, it } from 'vitest'
import { SliceStager } from '../src/node/upload/slice-stager.js'

const NETWORK = 31337
const LOST = 2

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Relays HTTP to `target`, except that the node's answer to staging slice `lost` never comes back. */
async function lossyProxy(target: string, lost: number): Promise<{ url: string; dropped: () => boolean }> {
  const upstream = new URL(target)
  let dropped = false
  const server: Server = createServer((req, res) => {
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        const staging = req.headers['x-stratos-upload'] !== undefined
        if (staging && req.headers['x-stratos-slice-number'] === String(lost)) {
          answer.resume()
          answer.on('end', () => {
            dropped = true
            req.socket.destroy()
          })
          return
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, dropped: () => dropped }
}

describe('SliceStager with a lost answer', () => {
  it('commits the slice the node staged, and the rest fits the exact-sized ticket', async () => {
    const issuer = generateKeyPair()
    const dir = await mkdtemp(join(tmpdir(), 'stratos-stager-lost-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const node: ResourceNode = await createResourceNode(
      {
        dataDir: dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets: { network: NETWORK, issuers: [issuer.evmAddress] },
      },
      { logger: createLogger({ level: 'error' }) },
    )
    await node.start()
    cleanups.push(() => node.stop())
    const bytes = new Uint8Array(6 * MIN_SLICE_SIZE - 100).map((_, i) => (i * 13 + 5) & 0xff)
    const sliced = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
    const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(1))
    const ticket = toHex(
      encodeTicket(
        issueTicket(
          {
            kind: 'upload',
            network: NETWORK,
            owner: owner.address,
            holder: owner.address,
            bytesAllowed: BigInt(bytes.length), // exactly the file, as the meta service issues them
            expiresAt: Math.floor(Date.now() / 1000) + 3600,
          },
          issuer,
        ),
      ),
    )
    const proxy = await lossyProxy(node.gatewayUrl, LOST)
    const stager = new SliceStager(
      proxy.url,
      new Blob([bytes]),
      MIN_SLICE_SIZE,
      new AbortController().signal,
      4 * MIN_SLICE_SIZE,
      ticket,
    )
    const deadline = Date.now() + 10_000
    while (!proxy.dropped() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(proxy.dropped()).toBe(true)
    const claimed = stager.handOff()
    expect(claimed).toContain(LOST)
    const hashOf = (n: number) => sliced.slices[n - 1]?.hash as SliceHash
    const committed = await stager.commit(sliced.fileHash, hashOf, [])
    // What the commit did not store goes the normal way, with the same ticket.
    for (const s of sliced.slices.filter((s) => !committed.includes(s.number))) {
      const data = bytes.subarray(s.offset, s.offset + s.size)
      const slice = { hash: s.hash, fileHash: sliced.fileHash, number: s.number, data }
      await uploadSlice(node.gatewayUrl, slice, { ticket })
    }
    for (const s of sliced.slices) expect(await node.store.has(s.hash)).toBe(true)
    expect(committed).toContain(LOST)
  })
})
