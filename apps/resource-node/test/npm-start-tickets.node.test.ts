// `npm start` runs with upload tickets on: the whole local network from scripts/start.mjs (two anvils,
// the meta node wired to the local Polygon's StoragePayments, node 2 trusting the meta's tickets), with
// the local-demo free allowance lowered to 1 MiB. A 2 MiB upload under a fresh node key is refused (no
// ticket, too little ozone); the demo wallet start.mjs funded and prepaid gets a ticket, stores a file
// on node 2 and the gateway serves it under its sdm:// URI. Lives here: this package has the clients.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  createManifest,
  encodeManifest,
  encodeTicketRequest,
  generateKeyPair,
  type KeyPair,
  keyPairFromPrivateKey,
  privateKeySigner,
  signManifest,
  signTicketRequest,
  sliceFile,
  toHex,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, randomBytes, sliceRecords, tempDir } from './helpers.js'
import { caught } from './support/caught.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const SIZE = 2 * 1024 * 1024 + 3
const SLICE = 1024 * 1024

/** A random file sliced with core, its manifest signed by `owner`. */
async function ownedFile(owner: KeyPair) {
  const bytes = randomBytes(SIZE)
  const sliced = await sliceFile(bytes, { sliceSize: SLICE })
  const manifest = signManifest(
    createManifest({ sliced, owner: owner.address, name: 'paid.bin', mimeType: 'application/octet-stream' }),
    owner.privateKey,
  )
  const slices = sliceRecords(bytes, sliced)
  return { bytes, fileHash: sliced.fileHash, manifestBytes: encodeManifest(manifest), slices }
}

describe('npm start with upload tickets on', () => {
  let network: ChildProcess | undefined
  let dataDir: { dir: string; cleanup(): Promise<void> }
  let client: Libp2p
  let index: IndexClient
  const lines: string[] = []
  let config: { resourceNodes: string[]; gatewayUrl: string; network?: number }
  let node2Gateway = ''

  beforeAll(async () => {
    dataDir = await tempDir('npm-start-tickets')
    network = spawn(
      process.execPath,
      [join(root, 'scripts/start.mjs'), '--ephemeral-ports', '--free-ozone', '1m'],
      { env: { ...process.env, STRATOS_EDGE_DATA_DIR: dataDir.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const child = network
    child.stderr!.resume()
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start not up in 150 s:\n${lines.join('\n')}`)),
        150_000,
      )
      child.once('exit', (code) => reject(new Error(`start.mjs exited with ${code}:\n${lines.join('\n')}`)))
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line)
        if (line.startsWith('Press Ctrl-C')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    const portal = /portal\s+(http\S+)/.exec(lines.join('\n'))?.[1]
    node2Gateway = /resource node 2\s+gateway (\S+)/.exec(lines.join('\n'))?.[1] ?? ''
    config = await (await fetch(`${portal}config.json`)).json()
    client = await createClient()
    index = createIndexClient(client, multiaddr(config.resourceNodes[0] as string))
  }, 180_000)

  afterAll(async () => {
    await client?.stop()
    if (network && network.exitCode === null) {
      const exited = new Promise((r) => network?.once('exit', r))
      network.kill('SIGTERM')
      await exited
    }
    await dataDir?.cleanup()
  }, 60_000)

  const ticketFor = async (owner: KeyPair, bytes: number) =>
    index.requestTicket(
      encodeTicketRequest(
        await signTicketRequest(
          { network: config.network as number, bytes: BigInt(bytes) },
          privateKeySigner(owner.privateKey),
        ),
      ),
    )

  it('says tickets are on, and gives the pages the local Polygon as the network id', () => {
    expect(lines.join('\n')).toMatch(
      /upload tickets\s+on: network 31338, meta 0x[0-9a-fA-F]{40}\n.*free ozone per owner 1m/,
    )
    expect(config.network).toBe(31338)
    expect(config.resourceNodes).toHaveLength(2)
  })

  it('the meta service lists node 2 as a resource node (its registry is closed with tickets on)', async () => {
    const resourcePeers = async () => {
      const text = await (await fetch(`${config.gatewayUrl}/metrics`)).text()
      return Number(/stratos_edge_meta_peers\{kind="resource"\} (\d+)/.exec(text)?.[1])
    }
    // The meta node itself and node 2.
    for (let i = 0; i < 50 && (await resourcePeers()) < 2; i++) await new Promise((r) => setTimeout(r, 200))
    expect(await resourcePeers()).toBe(2)
  })

  it('refuses a node-key upload without ozone, on both nodes, before storing anything', async () => {
    const nodeKey = generateKeyPair()
    const file = await ownedFile(nodeKey)
    const short = await caught(ticketFor(nodeKey, SIZE))
    expect(short.name).toBe('InsufficientOzoneError')
    expect(short.message).toContain(`${SIZE - 1024 * 1024} short`)
    for (const gateway of [config.gatewayUrl, node2Gateway]) {
      expect((await caught(uploadSlice(gateway, file.slices[0]!))).name).toBe('TicketRequiredError')
      expect((await fetch(`${gateway}/v1/files/${file.fileHash}`)).status).toBe(404)
    }
    expect((await caught(index.putManifest(file.manifestBytes))).name).toBe('TicketRequiredError')
  })

  it('the demo wallet, prepaid by npm start, uploads through node 2 and the gateway serves it', async () => {
    const key = JSON.parse(readFileSync(join(dataDir.dir, 'demo-wallet.json'), 'utf8')) as {
      privateKey: string
    }
    const wallet = keyPairFromPrivateKey(key.privateKey)
    const file = await ownedFile(wallet)
    // The prepayment was sent just before the summary: the watcher credits it within a few polls.
    let ticket: Uint8Array | undefined
    for (let i = 0; i < 100 && !ticket; i++) {
      ticket = await ticketFor(wallet, SIZE).catch(() => undefined)
      if (!ticket) await new Promise((r) => setTimeout(r, 200))
    }
    expect(ticket, 'a ticket for the demo wallet').toBeDefined()
    for (const slice of file.slices) {
      const receipt = await uploadSlice(node2Gateway, slice, { ticket: toHex(ticket as Uint8Array) })
      expect(receipt.stored).toBe('new')
    }
    await index.putManifest(file.manifestBytes, { ticket: ticket as Uint8Array })
    const uri = `sdm://${wallet.address}/${file.fileHash}`
    // Node 2 announces what it stored to the meta service's index in batches: the gateway waits a short
    // while for slices not announced yet (503 if still unknown), so poll the status, bounded.
    let res = await fetch(`${config.gatewayUrl}/v1/files/${uri}`, { signal: AbortSignal.timeout(30_000) })
    for (let i = 0; i < 50 && res.status !== 200; i++) {
      await res.arrayBuffer()
      await new Promise((r) => setTimeout(r, 200))
      res = await fetch(`${config.gatewayUrl}/v1/files/${uri}`, { signal: AbortSignal.timeout(30_000) })
    }
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
  }, 60_000)
})
