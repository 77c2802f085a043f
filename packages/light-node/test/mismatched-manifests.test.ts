import { generateKeyPair, toEvmAddress } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { MismatchedManifests } from '../src/node/mismatched-manifests.js'

const owners = Array.from({ length: 5 }, () => generateKeyPair().address)

describe('MismatchedManifests', () => {
  it('remembers (file hash, owner), whatever form the address takes', () => {
    const m = new MismatchedManifests()
    m.add('file-a', owners[0]!)
    expect(m.has('file-a', owners[0]!)).toBe(true)
    expect(m.has('file-a', toEvmAddress(owners[0]!))).toBe(true)
    expect(m.has('file-a', toEvmAddress(owners[0]!).toLowerCase())).toBe(true)
    expect(m.has('file-a', owners[1]!)).toBe(false)
    expect(m.has('file-b', owners[0]!)).toBe(false)
  })

  it('forgets the least recently used file beyond maxFiles, and the oldest owner beyond maxOwnersPerFile', () => {
    const m = new MismatchedManifests({ maxFiles: 2, maxOwnersPerFile: 2 })
    m.add('file-a', owners[0]!)
    m.add('file-b', owners[0]!)
    expect(m.has('file-a', owners[0]!)).toBe(true) // file-a is now the most recently used
    m.add('file-c', owners[0]!)
    expect(m.size).toBe(2)
    expect(m.has('file-b', owners[0]!)).toBe(false)
    expect(m.has('file-a', owners[0]!)).toBe(true)
    expect(m.has('file-c', owners[0]!)).toBe(true)
    m.add('file-c', owners[1]!)
    m.add('file-c', owners[2]!)
    expect([0, 1, 2].map((i) => m.has('file-c', owners[i]!))).toEqual([false, true, true])
  })
})
