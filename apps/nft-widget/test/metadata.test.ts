import { describe, expect, it } from 'vitest'
import { buildMetadata, erc1155Id, substituteErc1155Id } from '../src/metadata.js'

describe('buildMetadata', () => {
  it('builds OpenSea metadata with links, traits and a normalised colour', () => {
    const m = buildMetadata(
      {
        name: '  Ship ',
        description: 'A ship',
        external_url: 'https://market.example/ship',
        background_color: '#1A2B3C',
        attributes: [
          { trait_type: 'Speed', value: '7', display_type: 'number' },
          { trait_type: 'Hull', value: 'Oak' },
          { trait_type: '', value: '' },
        ],
      },
      { image: 'https://gw.example/a', animation_url: 'https://gw.example/b' },
    )
    expect(m).toEqual({
      name: 'Ship',
      description: 'A ship',
      image: 'https://gw.example/a',
      external_url: 'https://market.example/ship',
      background_color: '1a2b3c',
      animation_url: 'https://gw.example/b',
      attributes: [
        { trait_type: 'Speed', value: 7, display_type: 'number' },
        { trait_type: 'Hull', value: 'Oak' },
      ],
    })
  })

  it('keeps markup in names as plain text', () => {
    expect(buildMetadata({ name: '<img src=x onerror=alert(1)>' }).name).toBe('<img src=x onerror=alert(1)>')
  })

  it.each([
    [{ name: ' ' }, 'needs a name'],
    [{ name: 'a', external_url: 'javascript:alert(1)' }, 'not a web address'],
    [{ name: 'a', background_color: 'red' }, 'six hex digits'],
    [
      { name: 'a', attributes: [{ trait_type: 'Speed', value: 'fast', display_type: 'number' as const }] },
      'not one',
    ],
    [{ name: 'a', attributes: [{ trait_type: 'Speed', value: '' }] }, 'has no value'],
  ])('refuses %j with a MetadataInvalidError', (input, words) => {
    try {
      buildMetadata(input)
      expect.unreachable()
    } catch (err) {
      expect((err as Error).name).toBe('MetadataInvalidError')
      expect((err as Error).message).toContain(words)
    }
  })
})

describe('ERC-1155 ids', () => {
  it('formats ids as 64 lowercase hex digits (EIP-1155 example)', () => {
    expect(erc1155Id(314592n)).toBe('000000000000000000000000000000000000000000000000000000000004cce0')
  })

  it('replaces {id} in the text fields', () => {
    const m = substituteErc1155Id(
      { name: 'Card {id}', description: 'see {id}', attributes: [{ value: 'v{id}' }, { value: 3 }] },
      1,
    )
    const hex = `${'0'.repeat(63)}1`
    expect(m.name).toBe(`Card ${hex}`)
    expect(m.description).toBe(`see ${hex}`)
    expect(m.attributes).toEqual([{ value: `v${hex}` }, { value: 3 }])
  })

  it('refuses ids out of range', () => {
    expect(() => erc1155Id(-1n)).toThrow(/out of range/)
  })
})
