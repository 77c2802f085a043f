import { MAX_MANIFEST_SLICES } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { parseStageHeaders, SliceUploadHeader } from '../src/index.js'

describe('staged upload headers', () => {
  const id = 'ab'.repeat(16)
  const parse = (number: number, length: number) =>
    parseStageHeaders(
      (name) =>
        ({
          [SliceUploadHeader.UPLOAD]: id,
          [SliceUploadHeader.NUMBER]: String(number),
          'content-length': String(length),
        })[name],
    )

  it('refuses an empty staged slice, except slice 1 (an empty file has one empty slice)', () => {
    expect(parse(1, 0)).toEqual({ uploadId: id, number: 1, size: 0 })
    expect(parse(2, 1)).toEqual({ uploadId: id, number: 2, size: 1 })
    expect(() => parse(2, 0)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
  })

  it('bounds the slice number by the most slices a file may have', () => {
    expect(parse(MAX_MANIFEST_SLICES, 16_384)?.number).toBe(MAX_MANIFEST_SLICES)
    expect(() => parse(MAX_MANIFEST_SLICES + 1, 16_384)).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    )
    expect(() => parse(1e9, 16_384)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
  })
})
