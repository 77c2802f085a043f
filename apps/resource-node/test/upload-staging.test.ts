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
})
