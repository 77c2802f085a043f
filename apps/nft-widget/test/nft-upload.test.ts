// The upload sequence against a stand-in of the light node's `put` (the edge the widget talks to).
import type { PutOptions, PutResult } from '@stratos-edge/light-node'
import { describe, expect, it } from 'vitest'
import { type MediaFile, uploadNft } from '../src/nft-upload.js'
import { createProgressTracker, describeHeld, describeProgress } from '../src/upload-progress.js'

function fakeNode() {
  const puts: { name: string | undefined; mimeType: string | undefined; text?: string }[] = []
  let n = 0
  return {
    puts,
    failNext: undefined as Error | undefined,
    async put(file: Blob | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
      if (this.failNext) {
        const err = this.failNext
        this.failNext = undefined
        throw err
      }
      options.signal?.throwIfAborted()
      const blob = file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>])
      puts.push({
        name: options.name,
        mimeType: options.mimeType,
        ...(options.mimeType === 'application/json' ? { text: await blob.text() } : {}),
      })
      options.onProgress?.({ phase: 'done', bytes: blob.size, totalBytes: blob.size })
      const fileHash = `v05j1m5hash${++n}`
      const uri = `sdm://st1owner/${fileHash}`
      return {
        fileHash,
        uri,
        owner: 'st1owner',
        size: blob.size,
        slices: 1,
        replicas: ['p'],
        forwardedTo: [],
        gatewayUrl: `https://gw.example/v1/files/${uri}`,
      }
    },
  }
}

const media = (): MediaFile[] => [
  { role: 'image', file: new File(['png'], 'a.png', { type: 'image/png' }) },
  { role: 'animation_url', file: new File(['mp4'], 'a.mp4', { type: 'video/mp4' }) },
]

describe('uploadNft', () => {
  it('uploads the media, then metadata linking them, and returns the https tokenURI', async () => {
    const node = fakeNode()
    const result = await uploadNft({ node, media: media(), input: { name: 'Ship' }, tokenUri: 'https' })
    expect(node.puts.map((p) => [p.name, p.mimeType])).toEqual([
      ['a.png', 'image/png'],
      ['a.mp4', 'video/mp4'],
      ['metadata.json', 'application/json'],
    ])
    expect(JSON.parse(node.puts[2]?.text ?? '')).toEqual({
      name: 'Ship',
      image: 'https://gw.example/v1/files/sdm://st1owner/v05j1m5hash1',
      animation_url: 'https://gw.example/v1/files/sdm://st1owner/v05j1m5hash2',
    })
    expect(result.tokenURI).toBe('https://gw.example/v1/files/sdm://st1owner/v05j1m5hash3')
    expect(result.fileHash).toBe('v05j1m5hash3')
    expect(result.uri).toBe('sdm://st1owner/v05j1m5hash3')
  })

  it('links sdm:// URIs when asked, and substitutes the ERC-1155 id', async () => {
    const node = fakeNode()
    const result = await uploadNft({
      node,
      media: media().slice(0, 1),
      input: { name: 'Card {id}' },
      tokenUri: 'sdm',
      tokenId: '10',
    })
    expect(result.tokenURI).toBe('sdm://st1owner/v05j1m5hash2')
    expect(result.metadata).toEqual({
      name: `Card ${'0'.repeat(62)}0a`,
      image: 'sdm://st1owner/v05j1m5hash1',
    })
  })

  it('sends nothing when the metadata is invalid', async () => {
    const node = fakeNode()
    await expect(uploadNft({ node, media: media(), input: { name: '' }, tokenUri: 'https' })).rejects.toThrow(
      /needs a name/,
    )
    await expect(
      uploadNft({ node, media: [], input: { name: 'Ship' }, tokenUri: 'https' }),
    ).rejects.toMatchObject({
      name: 'MetadataInvalidError',
      message: 'There is no artwork to upload yet. Drop a file or press Choose files',
    })
    expect(node.puts).toEqual([])
  })

  it('does not send a stored file again on retry, and explains failures in plain words', async () => {
    const node = fakeNode()
    const items = media()
    node.failNext = Object.assign(new Error('boom'), { name: 'UploadFailedError' })
    // The first file fails: nothing stored.
    await expect(
      uploadNft({ node, media: items, input: { name: 'S' }, tokenUri: 'https' }),
    ).rejects.toMatchObject({
      name: 'FileUploadError',
      message: '“a.png” could not be stored on the network. Press Retry to try again',
    })
    await uploadNft({ node, media: items, input: { name: 'S' }, tokenUri: 'https' })
    const controller = new AbortController()
    controller.abort()
    items.push({ role: 'image', file: new File(['x'], 'b.png', { type: 'image/png' }) })
    await expect(
      uploadNft({ node, media: items, input: { name: 'S' }, tokenUri: 'https', signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'UploadCancelledError' })
    expect(node.puts.map((p) => p.name)).toEqual(['a.png', 'a.mp4', 'metadata.json'])
  })
})

describe('progress', () => {
  it('reports rate and time left', () => {
    let t = 0
    const tracker = createProgressTracker(() => t)
    tracker.update({ phase: 'hashing', bytes: 0, totalBytes: 1000 })
    t = 1000
    const p = tracker.update({ phase: 'hashing', bytes: 1000, totalBytes: 1000 })
    expect(p.fraction).toBe(0.5)
    expect(p.bytesPerSecond).toBe(1000)
    expect(p.secondsLeft).toBe(1)
  })

  it('says bytes, rate and time left in words', () => {
    let t = 0
    const tracker = createProgressTracker(() => t)
    tracker.update({ phase: 'storing', bytes: 0, totalBytes: 10_000_000 })
    t = 2000
    const p = tracker.update({ phase: 'storing', bytes: 4_000_000, totalBytes: 10_000_000 })
    expect(describeProgress(p)).toBe('Uploading 4 MB of 10 MB · 2 MB/s · 3 s left')
    expect(
      describeProgress(tracker.update({ phase: 'done', bytes: 10_000_000, totalBytes: 10_000_000 })),
    ).toBe('Stored 10 MB of 10 MB')
  })

  it('a resumed upload: counts only the bytes it sends, and says how many slices were stored already', () => {
    let t = 0
    const tracker = createProgressTracker(() => t)
    const file = { totalBytes: 64_000_000, slices: 64, heldSlices: 41, heldBytes: 41_000_000 }
    tracker.update({ phase: 'hashing', bytes: 64_000_000, totalBytes: 64_000_000 })
    tracker.update({ phase: 'storing', bytes: 0, sentBytes: 0, ...file })
    t = 2000
    // 45 MB have gone through the node's store, 4 MB of them sent: the rest was held.
    const p = tracker.update({ phase: 'storing', bytes: 45_000_000, sentBytes: 4_000_000, ...file })
    expect(p.bytesPerSecond).toBe(2_000_000)
    expect(p.secondsLeft).toBe(9.5)
    expect(p.fraction).toBeCloseTo(0.5 + 0.5 * (4 / 23))
    expect(describeProgress(p)).toBe(
      'Uploading 4 MB of 23 MB · 41 of 64 slices already stored · 2 MB/s · 10 s left',
    )
    const done = tracker.update({ phase: 'done', bytes: 64_000_000, sentBytes: 23_000_000, ...file })
    expect(describeProgress(done)).toBe('Stored 23 MB of 23 MB · 41 of 64 slices already stored')
    expect(describeHeld(tracker.last)).toBe('41 of 64 slices already stored')
  })
})
