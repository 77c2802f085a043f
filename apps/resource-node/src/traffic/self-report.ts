import {
  type EvmAddress,
  type FileHash,
  fromHex,
  hashTypedData,
  isFileHash,
  keccak256,
  networkDomain,
  recoverAddress,
  type SignatureBytes,
  signatureToBytes,
  signatureToHex,
  signDigest,
  type TypedData,
  toEvmAddress,
  toHex,
} from '@stratos-edge/core'
import { InvalidSelfReportError } from './errors.js'

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Most (owner, file) entries in one self-report: bounds the work and the frame of one submission. */
export const MAX_SELF_REPORT_ENTRIES = 4096

/** Bytes a gateway served of one file to readers who sign nothing; the file owner's ozone pays. */
export interface SelfReportEntry {
  readonly owner: EvmAddress
  readonly fileHash: FileHash
  readonly bytes: bigint
}

/** What a serving node states about its own HTTP traffic in one closed epoch. */
export interface SelfReportFields {
  /** The network id (its EIP-712 domain's chain id). */
  readonly network: number
  readonly epoch: number
  /** The node that served the bytes and signs the report (its EVM key). */
  readonly provider: EvmAddress
  /** Sorted by owner then file hash, each pair once, bytes > 0. */
  readonly entries: readonly SelfReportEntry[]
}

/** A self-report signed by its provider. Less trusted than receipts: nobody else attests to it. */
export interface SelfReport extends SelfReportFields {
  readonly signature: SignatureBytes
}

/** Keccak-256 of the entries' canonical text (`owner fileHash bytes`, one per line): what is signed. */
export function selfReportEntriesDigest(entries: readonly SelfReportEntry[]): `0x${string}` {
  const text = entries.map((e) => `${toEvmAddress(e.owner)} ${e.fileHash} ${e.bytes}\n`).join('')
  return toHex(keccak256(utf8(text)))
}

/** The EIP-712 form of a self-report: epoch, provider, total bytes and the entries' digest. */
export function selfReportTypedData(r: SelfReportFields): TypedData {
  return {
    domain: networkDomain(r.network),
    types: {
      GatewaySelfReport: [
        { name: 'epoch', type: 'uint64' },
        { name: 'provider', type: 'address' },
        { name: 'totalBytes', type: 'uint256' },
        { name: 'entries', type: 'bytes32' },
      ],
    },
    primaryType: 'GatewaySelfReport',
    message: {
      epoch: r.epoch,
      provider: r.provider,
      totalBytes: r.entries.reduce((sum, e) => sum + e.bytes, 0n),
      entries: selfReportEntriesDigest(r.entries),
    },
  }
}

/** Checks the shape: entries bounded, sorted, distinct, positive. Throws InvalidSelfReportError. */
function checkShape(r: SelfReportFields): void {
  if (!Number.isSafeInteger(r.epoch) || r.epoch < 0) throw invalid(`epoch ${r.epoch}`)
  if (r.entries.length === 0 || r.entries.length > MAX_SELF_REPORT_ENTRIES) {
    throw invalid(`${r.entries.length} entries (1 to ${MAX_SELF_REPORT_ENTRIES})`)
  }
  let last = ''
  for (const e of r.entries) {
    if (e.bytes <= 0n) throw invalid(`entry bytes ${e.bytes}`)
    if (!isFileHash(e.fileHash)) throw invalid(`file hash ${e.fileHash}`)
    const key = `${toEvmAddress(e.owner)}/${e.fileHash}`
    if (key <= last) throw invalid('entries not sorted by owner and file, or repeated')
    last = key
  }
}

function invalid(what: string): InvalidSelfReportError {
  return new InvalidSelfReportError(`Invalid self-report: ${what}`, 'Send each closed epoch once, sorted')
}

/**
 * Signs a self-report with the serving node's EVM key; entries are sorted here.
 *
 * @example
 * ```ts
 * const report = signSelfReport({ network: 137, epoch, provider: key.evmAddress, entries }, key)
 * ```
 */
export function signSelfReport(
  fields: SelfReportFields,
  key: { privateKey: Uint8Array; evmAddress: EvmAddress },
): SelfReport {
  const entries = fields.entries
    .map((e) => ({ owner: toEvmAddress(e.owner), fileHash: e.fileHash, bytes: e.bytes }))
    .sort((a, b) => {
      const ka = `${a.owner}/${a.fileHash}`
      const kb = `${b.owner}/${b.fileHash}`
      return ka < kb ? -1 : ka > kb ? 1 : 0
    })
  const f: SelfReportFields = { ...fields, provider: toEvmAddress(fields.provider), entries }
  checkShape(f)
  if (f.provider !== key.evmAddress) throw invalid('provider is not the signing key')
  return { ...f, signature: signDigest(hashTypedData(selfReportTypedData(f)), key.privateKey) }
}

/** True when the report is well formed and signed by its provider. */
export function selfReportSignatureValid(r: SelfReport): boolean {
  try {
    checkShape(r)
    return recoverAddress(hashTypedData(selfReportTypedData(r)), r.signature) === toEvmAddress(r.provider)
  } catch {
    return false
  }
}

/** Keccak-256 of the signature: tells a resubmitted report from another one for the same epoch. */
export function selfReportId(r: SelfReport): string {
  return toHex(keccak256(r.signature))
}

/** Wire form (JSON, amounts as decimal strings) of a self-report. */
export function encodeSelfReport(r: SelfReport): Uint8Array {
  return utf8(
    JSON.stringify({
      network: r.network,
      epoch: r.epoch,
      provider: r.provider,
      entries: r.entries.map((e) => [e.owner, e.fileHash, e.bytes.toString()]),
      signature: signatureToHex(r.signature),
    }),
  )
}

/** Decodes {@link encodeSelfReport}'s form (signature not checked); throws InvalidSelfReportError. */
export function decodeSelfReport(bytes: Uint8Array): SelfReport {
  try {
    const o = JSON.parse(new TextDecoder().decode(bytes)) as {
      network: number
      epoch: number
      provider: string
      entries: [string, string, string][]
      signature: string
    }
    if (!Array.isArray(o.entries) || o.entries.length > MAX_SELF_REPORT_ENTRIES) throw invalid('entries')
    if (!Number.isSafeInteger(o.network) || !Number.isSafeInteger(o.epoch)) throw invalid('numbers')
    const r: SelfReport = {
      network: o.network,
      epoch: o.epoch,
      provider: toEvmAddress(o.provider),
      entries: o.entries.map(([owner, fileHash, bytes]) => {
        if (!/^[0-9]{1,30}$/.test(bytes)) throw invalid(`bytes ${bytes}`)
        return { owner: toEvmAddress(owner), fileHash: fileHash as FileHash, bytes: BigInt(bytes) }
      }),
      signature: signatureToBytes(fromHex(o.signature)),
    }
    checkShape(r)
    return r
  } catch (err) {
    if ((err as Error).name === 'InvalidSelfReportError') throw err
    throw invalid(`undecodable (${(err as Error).message})`)
  }
}
