// The page's shared light node against a stand-in of the light node module (the edge the widget loads).
import type { LightNode, LightNodeOptions } from '@stratos-edge/light-node'
import { describe, expect, it } from 'vitest'
import { explainUploadError } from '../src/nft-upload.js'
import { setLightNodeLoader, sharedLightNode } from '../src/shared-light-node.js'

/** A node whose `put` fails with an error of the given name; it records whether it was stopped. */
function deadNode(errorName: string) {
  const node = {
    stopped: false,
    peerId: 'p',
    put: async () => {
      throw Object.assign(new Error('gone'), { name: errorName })
    },
    stop: async () => {
      node.stopped = true
    },
  }
  return node
}

describe('sharedLightNode', () => {
  for (const name of ['WorkerLostError', 'NodeStoppedError']) {
    it(`forgets and stops a node whose call failed with ${name}, so the next upload starts a new one`, async () => {
      const started: ReturnType<typeof deadNode>[] = []
      setLightNodeLoader(async () => ({
        async createLightNode() {
          const node = deadNode(name)
          started.push(node)
          return node as unknown as LightNode
        },
      }))
      const options: LightNodeOptions = { resourceNodes: ['/dns4/r/tcp/1/ws'], storeName: `s-${name}` }
      const first = await sharedLightNode(options)
      expect(await sharedLightNode(options)).toBe(first)
      await expect(first.put(new Uint8Array(1))).rejects.toMatchObject({ name })
      expect(started[0]?.stopped).toBe(true)
      const second = await sharedLightNode(options)
      expect(second).not.toBe(first)
      expect(started).toHaveLength(2)
    })
  }

  it('keeps a node whose call failed for another reason', async () => {
    let starts = 0
    setLightNodeLoader(async () => ({
      async createLightNode() {
        starts++
        return deadNode('UploadFailedError') as unknown as LightNode
      },
    }))
    const options: LightNodeOptions = { resourceNodes: ['/dns4/r/tcp/1/ws'], storeName: 'kept' }
    const first = await sharedLightNode(options)
    await expect(first.put(new Uint8Array(1))).rejects.toMatchObject({ name: 'UploadFailedError' })
    expect(await sharedLightNode(options)).toBe(first)
    expect(starts).toBe(1)
  })
})

describe('explainUploadError', () => {
  for (const name of ['WorkerLostError', 'LeaderLostError'])
    it(`tells the creator the connection was lost and to retry on ${name}`, () => {
      const err = explainUploadError(Object.assign(new Error('x'), { name }), 'image.png')
      expect(err.name).toBe('NetworkUnavailableError')
      expect(err.message).toMatch(/connection .* was lost.*Retry/)
    })
})
