import { describe, expect, it } from 'vitest'
import { parseBudget } from '../src/budget.ts'
import { plainError } from '../src/error-text.ts'
import { countOf, formatBytes, formatDuration } from '../src/format.ts'

describe('budget', () => {
  it('an empty field is an error, not 0', () => {
    const r = parseBudget('', 'GB', 10e9)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toMatch(/Enter how much/)
  })
  it('is bounded by the browser quota', () => {
    const r = parseBudget('100000', 'GB', 10e9)
    expect(!r.ok && r.error).toBe('This browser lets this site store at most 10 GB. Choose 10 GB or less.')
  })
  it('reads decimal units, as the browser labels sizes', () => {
    expect(parseBudget('2', 'GB', 10e9)).toEqual({ ok: true, bytes: 2e9 })
    expect(parseBudget('0,5', 'GB', undefined)).toEqual({ ok: true, bytes: 5e8 })
    expect(parseBudget('300', 'MB', 10e9)).toEqual({ ok: true, bytes: 3e8 })
  })
  it('refuses garbage, zero and negatives', () => {
    expect(parseBudget('lots', 'GB', 10e9).ok).toBe(false)
    expect(parseBudget('0', 'GB', 10e9).ok).toBe(false)
    expect(parseBudget('-1', 'GB', 10e9).ok).toBe(false)
  })
})

describe('formatBytes', () => {
  it('shows what was typed: 2 GB is 2 GB', () => {
    expect(formatBytes(2e9)).toBe('2 GB')
    expect(formatBytes(1_500_000)).toBe('1.5 MB')
    expect(formatBytes(999)).toBe('999 B')
  })
  it('time left', () => {
    expect(formatDuration(45)).toBe('45 s')
    expect(formatDuration(200)).toBe('3 min 20 s')
    expect(formatDuration(Number.NaN)).toBe('—')
  })
  it('counts: one slice, two slices', () => {
    expect(countOf(1, 'slice')).toBe('1 slice')
    expect(countOf(0, 'slice')).toBe('0 slices')
    expect(countOf(2, 'slice')).toBe('2 slices')
  })
})

describe('plainError', () => {
  it('tells typed errors apart by name', () => {
    expect(plainError({ name: 'InvalidFileHashError', message: 'x' }, 'download')).toMatch(/not a file hash/)
    expect(plainError({ name: 'ManifestNotFoundError', message: 'x' }, 'download')).toMatch(
      /No file with this hash/,
    )
    expect(plainError({ name: 'TypeError', message: 'Failed to fetch' }, 'download')).toBe(
      'The download failed: Failed to fetch',
    )
  })
  it('tells chain and wallet failures by their code: no gas, a declined request', () => {
    const noGas = { name: 'Error', code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds for intrinsic…' }
    expect(plainError(noGas, 'claim')).toMatch(/no POL on Polygon to pay the gas/)
    expect(plainError({ name: 'Error', code: 4001, message: 'User rejected' }, 'claim')).toBe(
      'You declined in your wallet, so nothing was sent.',
    )
  })
  it('blames the network, not the hash, when the network is down; garbage is still garbage', () => {
    expect(plainError({ name: 'ManifestNotFoundError' }, 'download', false)).toMatch(/network is unreachable/)
    expect(plainError({ name: 'InvalidFileHashError' }, 'download', false)).toMatch(/not a file hash/)
  })
})
