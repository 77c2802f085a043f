// Known-answer vectors for SDS ids. Sources:
// - 'hello stratos' and the empty file: computed by the public stratos-sdk (stratosnet/stratos-sdk,
//   src/filesystem/filesystem.ts, calculateFileHashFromBuffer) and recorded in the project's design notes.
// - 'hello world' (plain and with tag 'abc') and its slice 1: computed by a port of stratosnet/sds
//   framework/crypto/hash_tools.go (CalcFileHash, CalcSliceHash); the plain one also by the stratos-sdk code.
// - Addresses: private key 0x01×32 and the 'abandon … about' mnemonic at m/44'/606'/0'/0/0.
import { describe, expect, it } from 'vitest'
import {
  CODEC_VIDEO,
  computeFileHash,
  computeSliceHash,
  formatSdmUri,
  keyPairFromMnemonic,
  keyPairFromPrivateKey,
  parseSdmUri,
  toEvmAddress,
  toStratosAddress,
} from '../src/index.js'

const text = (s: string) => new TextEncoder().encode(s)

describe('SDS known answers', () => {
  it('file hash of "hello stratos" equals stratos-sdk', () => {
    expect(computeFileHash(text('hello stratos'))).toBe('v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco')
  })

  it('file hash of the empty file equals stratos-sdk', () => {
    expect(computeFileHash(new Uint8Array())).toBe('v05j1m555fu587j6jih6c1k0uheu1g2o8stakpm0')
  })

  it('file hash of "hello world" equals stratos-sdk and the sds Go code', () => {
    expect(computeFileHash(text('hello world'))).toBe('v05j1m52cpb623fjop3gjvjrbfucv59taq9t7pq8')
  })

  it('file hash with encryption tag "abc" equals the sds Go code', () => {
    expect(computeFileHash(text('hello world'), { encryptionTag: 'abc' })).toBe(
      'v05j1m54r2gb89ds75lpeu43fc7u8nidnjcb5i88',
    )
  })

  it('slice 1 of "hello world" equals the sds Go code', () => {
    const fileHash = computeFileHash(text('hello world'))
    expect(computeSliceHash(1, text('hello world'), fileHash)).toBe(
      'v05ahm574f56qmejcvudt1uo4vru3pskpk4usen0',
    )
  })

  it('video codec changes the prefix', () => {
    expect(computeFileHash(text('hello stratos'), { codec: CODEC_VIDEO })).toMatch(/^v05p1m5/)
  })

  it('st1 address of private key 0x01×32', () => {
    const keys = keyPairFromPrivateKey(`0x${'01'.repeat(32)}`)
    expect(keys.address).toBe('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd')
    expect(keys.evmAddress.toLowerCase()).toBe('0x1a642f0e3c3af545e7acbd38b07251b3990914f1')
    expect(toStratosAddress(keys.evmAddress)).toBe(keys.address)
    expect(toEvmAddress(keys.address)).toBe(keys.evmAddress)
  })

  it('toEvmAddress answers the same when asked again, and still refuses a broken checksum', () => {
    const evm = keyPairFromPrivateKey(`0x${'01'.repeat(32)}`).evmAddress
    expect(evm).toBe('0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1')
    for (let i = 0; i < 2; i++) {
      expect(toEvmAddress(evm.toLowerCase())).toBe(evm)
      expect(toEvmAddress(evm)).toBe(evm)
      expect(toEvmAddress('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd')).toBe(evm)
      expect(() => toEvmAddress(evm.replace('0E3c', '0e3c'))).toThrow()
    }
  })

  it("st1 address of the abandon…about mnemonic at m/44'/606'/0'/0/0", () => {
    expect(keyPairFromMnemonic(`${'abandon '.repeat(11)}about`).address).toBe(
      'st18yesadx3t8x3jjsygpqeqzh0j7xh2vh66945zx',
    )
  })

  it('sdm URI is 88 characters with the slash at index 47', () => {
    const uri = formatSdmUri(
      'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd',
      'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco',
    )
    expect(uri).toBe(
      'sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco',
    )
    expect(uri).toHaveLength(88)
    expect(uri.indexOf('/', 6)).toBe(47)
    expect(parseSdmUri(uri).owner).toBe('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd')
  })
})
