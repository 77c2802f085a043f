// The gateway counts the file bytes it serves per epoch and per (owner, file), for its self-report, and
// answers GET /v1/status/traffic; over real HTTP.
import { type FileHash, toEvmAddress } from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createServedTraffic } from '../src/gateway/served-traffic.js'
import type { Gateway } from '../src/index.js'
import { makeFile, owner } from './helpers.js'
import { startCountingGateway } from './support/counting-gateway.js'
import { idleNodeMetrics } from './support/idle-node-metrics.js'

const FILE_A = 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco' as FileHash
const FILE_B = 'v05j1m555fu587j6jih6c1k0uheu1g2o8stakpm0' as FileHash

describe('gateway traffic counting', () => {
  let gw: Gateway | undefined
  afterEach(async () => {
    await gw?.close()
    gw = undefined
  })

  it('counts exactly the bytes served, per epoch and file, ranges and HEAD included', async () => {
    const sliceSize = 16 * 1024
    const file = await makeFile(3 * sliceSize + 100, sliceSize)
    const clock = { now: 1_000_000 }
    const served = createServedTraffic({ clock: { genesisMs: 0, epochMs: 10_000 }, now: () => clock.now })
    const metrics = idleNodeMetrics()
    gw = await startCountingGateway(file, {
      metrics,
      served,
      trafficStatus: async () => ({
        epochs: served.epochs().map((e) => ({ epoch: e.epoch, bytes: e.bytes.toString() })),
      }),
    })
    const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
    const whole = await fetch(url)
    expect((await whole.arrayBuffer()).byteLength).toBe(file.bytes.length)
    const part = await fetch(url, { headers: { range: `bytes=${sliceSize - 10}-${sliceSize + 9}` } })
    expect((await part.arrayBuffer()).byteLength).toBe(20)
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200)
    // The next epoch counts apart.
    clock.now += 10_000
    await (await fetch(url, { headers: { range: 'bytes=0-0' } })).arrayBuffer()

    expect(served.files(100)).toEqual([
      {
        owner: toEvmAddress(owner.address),
        fileHash: file.manifest.fileHash,
        bytes: BigInt(file.bytes.length + 20),
      },
    ])
    expect(served.files(101)[0]?.bytes).toBe(1n)
    const status = await fetch(`${gw.url}/v1/status/traffic`)
    expect(status.headers.get('content-type')).toBe('application/json')
    expect(await status.json()).toEqual({
      epochs: [
        { epoch: 100, bytes: String(file.bytes.length + 20) },
        { epoch: 101, bytes: '1' },
      ],
    })
  })

  it('bounds its memory: files past the cap and epochs past the kept ones are not counted', () => {
    const clock = { now: 0 }
    const served = createServedTraffic({
      clock: { genesisMs: 0, epochMs: 10 },
      now: () => clock.now,
      keepEpochs: 2,
      maxFilesPerEpoch: 1,
    })
    served.add(owner.address, FILE_A, 5)
    served.add(owner.address, FILE_B, 7)
    expect(served.epochs()).toEqual([{ epoch: 0, bytes: 5n, files: 1, droppedBytes: 7n }])
    clock.now = 10
    served.add(owner.address, FILE_B, 1)
    clock.now = 20
    served.add(owner.address, FILE_B, 1)
    expect(served.epochs().map((e) => e.epoch)).toEqual([1, 2])
  })
})
