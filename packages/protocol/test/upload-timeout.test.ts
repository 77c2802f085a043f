import { describe, expect, it } from 'vitest'
import { uploadTimeoutFor } from '../src/index.js'

describe('upload timeout', () => {
  it('scales with the body: 30 s plus its size at 16 KiB/s, 60 s when the size is unknown', () => {
    expect(uploadTimeoutFor(0)).toBe(30_000)
    // A 4 MiB slice: 256 s more, so four at once on a 1 Mbit/s uplink (about 32 KiB/s each) pass.
    expect(uploadTimeoutFor(4 * 1024 * 1024)).toBe(286_000)
    expect(uploadTimeoutFor(16 * 1024 + 1)).toBe(31_001)
    expect(uploadTimeoutFor(undefined)).toBe(60_000)
  })
})
