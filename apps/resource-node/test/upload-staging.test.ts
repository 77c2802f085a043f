import { describe, expect, it } from 'vitest'
import { createUploadStaging, STAGED_SLICE_OVERHEAD_BYTES } from '../src/gateway/upload-staging.js'

const id = (n: number): string => n.toString(16).padStart(32, '0')
const empty = (number: number) => ({ number, data: new Uint8Array(0), innerDigest: new Uint8Array(32) })
const full = { name: 'StagingFullError' }

describe('upload staging limits', () => {
  it('charges every staged slice a fixed overhead, so empty slices cannot fill it for free', () => {
    const staging = createUploadStaging({ maxBytes: 3 * STAGED_SLICE_OVERHEAD_BYTES })
    for (let i = 0; i < 3; i++) {
      staging.reserve(0, id(i), 1)()
      expect(staging.put(id(i), empty(1))).toBe(true)
    }
    expect(staging.stagedBytes).toBe(3 * STAGED_SLICE_OVERHEAD_BYTES)
    expect(() => staging.reserve(0, id(3), 1)).toThrow(expect.objectContaining(full))
    staging.take(id(0))
    expect(staging.stagedBytes).toBe(2 * STAGED_SLICE_OVERHEAD_BYTES)
    staging.reserve(0, id(3), 1)()
    staging.close()
  })

  it('caps the uploads staged at once and the slices per upload', () => {
    const staging = createUploadStaging({ maxUploads: 2, maxSlicesPerUpload: 2 })
    staging.put(id(0), empty(1))
    staging.put(id(1), empty(1))
    expect(() => staging.reserve(0, id(2), 1)).toThrow(expect.objectContaining(full))
    expect(() => staging.put(id(2), empty(1))).toThrow(expect.objectContaining(full))
    staging.reserve(0, id(0), 2)()
    staging.put(id(0), empty(2))
    expect(() => staging.reserve(0, id(0), 3)).toThrow(expect.objectContaining(full))
    expect(() => staging.put(id(0), empty(3))).toThrow(expect.objectContaining(full))
    // Replacing a slice held already adds none.
    staging.reserve(0, id(0), 2)()
    expect(staging.put(id(0), empty(2))).toBe(true)
    expect([...staging.take(id(0)).keys()]).toEqual([1, 2])
    staging.put(id(2), empty(1))
    staging.close()
  })

  it("one client's staged bytes stay within its share; other clients can still stage", () => {
    const slot = 1024 + STAGED_SLICE_OVERHEAD_BYTES
    const staging = createUploadStaging({ maxBytes: 8 * slot, maxBytesPerClient: 2 * slot })
    for (let n = 1; n <= 2; n++) {
      staging.reserve(1024, id(0), n, 'hog')()
      staging.put(id(0), { ...empty(n), data: new Uint8Array(1024) }, 'hog')
    }
    // Another upload id does not help: the share is the client's.
    expect(() => staging.reserve(1024, id(1), 1, 'hog')).toThrow(expect.objectContaining(full))
    staging.reserve(1024, id(2), 1, 'other')()
    expect(staging.put(id(2), { ...empty(1), data: new Uint8Array(1024) }, 'other')).toBe(true)
    staging.close()
  })

  it('refuses to stage a slice the store has no disk room for', () => {
    const staging = createUploadStaging({ diskRoom: () => 1000 })
    expect(() => staging.reserve(1001, id(0), 1)).toThrow(expect.objectContaining(full))
    staging.reserve(1000, id(0), 1)()
    staging.close()
  })

  it('an upload is dropped at the end of its lifetime however often a slice is sent again', async () => {
    const staging = createUploadStaging({ ttlMs: 300, maxLifetimeMs: 600 })
    const started = Date.now()
    // Sent again every 100 ms, for well past its lifetime (bounded: 12 rounds).
    for (let i = 0; i < 12 && Date.now() - started < 1200; i++) {
      if (i === 0 || staging.stagedBytes > 0) staging.put(id(0), empty(1))
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(staging.take(id(0)).size).toBe(0)
    expect(staging.stagedBytes).toBe(0)
    staging.close()
  })
})
