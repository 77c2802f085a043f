import { describe, expect, it } from 'vitest'
import { formatBytes, parseByteSize } from '../src/byte-size.js'
import { checkHostLimits, parseAccept } from '../src/host-limits.js'
import { mediaKindOf, mimeTypeOf } from '../src/media-kind.js'

const file = (name: string, type: string, size: number) => ({ name, type, size })

describe('host limits', () => {
  const limits = {
    maxBytes: 1_000_000,
    accept: parseAccept('image/*, video/mp4,.glb'),
    tooLargeMessage: '{name} is over {max}',
    wrongTypeMessage: 'No {type} here ({name})',
  }

  it('accepts files within the limits (wildcards, exact types, extensions)', () => {
    checkHostLimits(file('a.png', 'image/png', 10), limits)
    checkHostLimits(file('a.mp4', 'video/mp4', 10), limits)
    checkHostLimits(file('ship.glb', '', 10), limits)
  })

  it("refuses a large file with the host's message", () => {
    expect(() => checkHostLimits(file('big.png', 'image/png', 1_000_001), limits)).toThrow(
      'big.png is over 1 MB',
    )
    try {
      checkHostLimits(file('big.png', 'image/png', 1_000_001), limits)
    } catch (err) {
      expect((err as Error).name).toBe('FileTooLargeError')
    }
  })

  it("refuses a wrong type with the host's message", () => {
    try {
      checkHostLimits(file('notes.txt', 'text/plain', 1), limits)
      expect.unreachable()
    } catch (err) {
      expect((err as Error).name).toBe('FileTypeNotAllowedError')
      expect((err as Error).message).toBe('No text/plain here (notes.txt)')
    }
  })

  it('has default messages a creator can act on', () => {
    expect(() => checkHostLimits(file('big.png', 'image/png', 2e6), { maxBytes: 1e6 })).toThrow(
      /more than the 1 MB this marketplace allows\. Choose a smaller file/,
    )
  })
})

describe('sizes and kinds', () => {
  it('parses and formats byte sizes', () => {
    expect(parseByteSize('50MB')).toBe(50_000_000)
    expect(parseByteSize('2 MiB')).toBe(2 * 1024 * 1024)
    expect(parseByteSize('123')).toBe(123)
    expect(parseByteSize('lots')).toBeUndefined()
    expect(formatBytes(1_500_000)).toBe('1.5 MB')
    expect(formatBytes(999)).toBe('999 B')
  })

  it('knows glb, gltf and html by name when the browser gives no type', () => {
    expect(mediaKindOf({ name: 'ship.glb', type: '' })).toBe('model')
    expect(mimeTypeOf({ name: 'ship.gltf', type: '' })).toBe('model/gltf+json')
    expect(mediaKindOf({ name: 'page.html', type: 'text/html' })).toBe('html')
    expect(mediaKindOf({ name: 'clip.webm', type: 'video/webm' })).toBe('video')
  })
})
