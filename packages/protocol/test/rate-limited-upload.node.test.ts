import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { RATE_LIMIT_RETRIES, retryAfterMs, uploadSlice } from '../src/index.js'

const slice = {
  hash: 'v05ahm5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  fileHash: 'v05j1m5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  number: 1,
  data: new Uint8Array(1000),
}

/** A real HTTP server answering 429 (Retry-After: `seconds`) `limited` times, then 201. */
async function limitedServer(limited: number, seconds: string) {
  let calls = 0
  const server = createServer((req, res) => {
    calls++
    req.resume()
    if (calls <= limited) {
      res.writeHead(429, { 'retry-after': seconds, 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { name: 'RateLimitedError', message: 'slow down' } }))
      return
    }
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ hash: slice.hash, stored: 'new', peerId: 'p' }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, calls: () => calls, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('uploads and 429', () => {
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000)
    expect(retryAfterMs(undefined)).toBe(1000)
    expect(retryAfterMs('soon')).toBe(1000)
  })

  it('waits out Retry-After and sends the slice again', async () => {
    const server = await limitedServer(2, '0')
    try {
      const receipt = await uploadSlice(server.url, slice)
      expect(receipt.stored).toBe('new')
      expect(server.calls()).toBe(3)
    } finally {
      await server.close()
    }
  })

  it('gives up with RateLimitedError after its retries, or at once for a wait too long', async () => {
    const always = await limitedServer(1000, '0')
    const long = await limitedServer(1000, '3600')
    try {
      await expect(uploadSlice(always.url, slice)).rejects.toMatchObject({ name: 'RateLimitedError' })
      expect(always.calls()).toBe(RATE_LIMIT_RETRIES + 1)
      await expect(uploadSlice(long.url, slice)).rejects.toMatchObject({
        name: 'RateLimitedError',
        retryAfterMs: 3_600_000,
      })
      expect(long.calls()).toBe(1)
    } finally {
      await always.close()
      await long.close()
    }
  })

  it('stops waiting when aborted', async () => {
    const server = await limitedServer(1000, '30')
    try {
      const abort = new AbortController()
      setTimeout(() => abort.abort(), 200)
      await expect(uploadSlice(server.url, slice, { signal: abort.signal })).rejects.toMatchObject({
        name: 'AbortedError',
      })
    } finally {
      await server.close()
    }
  })
})
