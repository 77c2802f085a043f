/** OpenSea metadata: what the creator types in, checked, and the JSON that the tokenURI points at. */
import { MetadataInvalidError } from './errors.js'

/** OpenSea's display types for numeric traits. */
export type DisplayType = 'number' | 'boost_number' | 'boost_percentage' | 'date'
/** The display types, in the order the form offers them. */
export const DISPLAY_TYPES: readonly DisplayType[] = ['number', 'boost_number', 'boost_percentage', 'date']

/** One trait of the token. */
export interface NftAttribute {
  trait_type?: string
  value: string | number
  display_type?: DisplayType
}

/** What the creator fills in (the media links are added by the uploader). */
export interface NftMetadataInput {
  name: string
  description?: string
  external_url?: string
  attributes?: NftAttribute[]
  /** Six hex digits, with or without a leading `#`. */
  background_color?: string
  /** A link to the animation, used when no animation file is uploaded. */
  animation_url?: string
}

/** The OpenSea metadata JSON (https://docs.opensea.io/docs/metadata-standards). */
export interface NftMetadata {
  name: string
  description?: string
  image?: string
  external_url?: string
  attributes?: NftAttribute[]
  background_color?: string
  animation_url?: string
}

const HEX_COLOR = /^#?([0-9a-f]{6})$/i

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'sdm:'
  } catch {
    return false
  }
}

function trimmed(text: string | undefined): string | undefined {
  const t = text?.trim()
  return t ? t : undefined
}

/**
 * Checks what the creator typed and returns the metadata with the media links filled in. Throws
 * `MetadataInvalidError` naming the field to fix.
 *
 * @example
 * ```ts
 * buildMetadata({ name: 'Ship', attributes: [{ trait_type: 'Speed', value: '7', display_type: 'number' }] },
 *   { image: 'https://gw.example/v1/files/sdm://st1…/v05j1m5…' })
 * // { name: 'Ship', image: 'https://…', attributes: [{ trait_type: 'Speed', value: 7, display_type: 'number' }] }
 * ```
 */
export function buildMetadata(
  input: NftMetadataInput,
  media: { image?: string; animation_url?: string } = {},
): NftMetadata {
  const name = trimmed(input.name)
  if (!name) throw new MetadataInvalidError('The token needs a name', 'Type a name for it')
  const out: NftMetadata = { name }
  const description = trimmed(input.description)
  if (description) out.description = description
  if (media.image) out.image = media.image
  const external = trimmed(input.external_url)
  if (external) {
    if (!isWebUrl(external))
      throw new MetadataInvalidError(
        'The external link is not a web address',
        'Write it in full, starting with https://',
      )
    out.external_url = external
  }
  const color = trimmed(input.background_color)
  if (color) {
    const m = HEX_COLOR.exec(color)
    if (!m)
      throw new MetadataInvalidError(
        'The background colour must be six hex digits',
        'Write it like 1a2b3c (or #1a2b3c)',
      )
    out.background_color = (m[1] as string).toLowerCase()
  }
  const animation = media.animation_url ?? trimmed(input.animation_url)
  if (animation) {
    if (!isWebUrl(animation))
      throw new MetadataInvalidError(
        'The animation link is not a web address',
        'Write it in full, starting with https://',
      )
    out.animation_url = animation
  }
  const attributes = (input.attributes ?? []).flatMap((a, i) => {
    const trait = trimmed(a.trait_type)
    const raw = typeof a.value === 'number' ? a.value : trimmed(a.value)
    if (raw === undefined) {
      if (!trait) return [] // an empty row
      throw new MetadataInvalidError(`The trait “${trait}” has no value`, 'Give it a value or remove the row')
    }
    if (a.display_type) {
      if (!DISPLAY_TYPES.includes(a.display_type))
        throw new MetadataInvalidError(`Trait ${i + 1} has an unknown display type`, 'Pick one from the list')
      const value = typeof raw === 'number' ? raw : Number(raw)
      if (!Number.isFinite(value))
        throw new MetadataInvalidError(
          `The trait “${trait ?? i + 1}” is shown as a number, but its value is not one`,
          'Type a number, or choose no display type',
        )
      return [{ ...(trait ? { trait_type: trait } : {}), value, display_type: a.display_type }]
    }
    return [{ ...(trait ? { trait_type: trait } : {}), value: raw }]
  })
  if (attributes.length > 0) out.attributes = attributes
  return out
}

/**
 * The ERC-1155 form of a token id: lowercase hex, no `0x`, zero-padded to 64 digits.
 *
 * @example
 * ```ts
 * erc1155Id(314592n) // '000…04cce0'
 * ```
 */
export function erc1155Id(id: bigint | number | string): string {
  const n = BigInt(id)
  if (n < 0n || n >= 2n ** 256n)
    throw new MetadataInvalidError('The token id is out of range', 'Use a whole number from 0 to 2^256-1')
  return n.toString(16).padStart(64, '0')
}

/**
 * Replaces every `{id}` in the metadata's text fields with the ERC-1155 id, as ERC-1155 clients do with
 * the token's URI (EIP-1155 "Metadata").
 */
export function substituteErc1155Id(metadata: NftMetadata, id: bigint | number | string): NftMetadata {
  const hex = erc1155Id(id)
  const sub = (s: string) => s.replaceAll('{id}', hex)
  const out: NftMetadata = { ...metadata, name: sub(metadata.name) }
  if (metadata.description) out.description = sub(metadata.description)
  if (metadata.external_url) out.external_url = sub(metadata.external_url)
  if (metadata.attributes)
    out.attributes = metadata.attributes.map((a) =>
      typeof a.value === 'string' ? { ...a, value: sub(a.value) } : a,
    )
  return out
}
