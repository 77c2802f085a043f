/**
 * Errors thrown across comlink keep their data fields (the worker installs the handler): an
 * `InsufficientOzoneError`'s owner and shortfall reach the page, where the widget reads them.
 */
import { MessageChannel } from 'node:worker_threads'
import { InsufficientOzoneError } from '@stratos-edge/core'
import { type Endpoint, expose, wrap } from 'comlink'
import { describe, expect, it } from 'vitest'
import { errorFromPlain } from '../src/errors.js'
import { installErrorTransfer } from '../src/worker/error-transfer.js'

describe('installErrorTransfer', () => {
  it('keeps owner and shortfallBytes of an error thrown across comlink', async () => {
    const { port1, port2 } = new MessageChannel()
    const throwing = {
      put() {
        throw new InsufficientOzoneError('Ozone short', 'Prepay STOS', {
          owner: '0x00000000000000000000000000000000000000ab',
          shortfallBytes: 4096n,
        })
      },
    }
    const remote = wrap<typeof throwing>(port2 as unknown as Endpoint)
    expose(throwing, port1 as unknown as Endpoint)
    const before = await Promise.resolve(remote.put()).catch((e: unknown) => e as Error)
    // comlink alone: name and message only.
    expect(before).toMatchObject({ name: 'InsufficientOzoneError' })
    expect((before as { shortfallBytes?: bigint }).shortfallBytes).toBeUndefined()
    installErrorTransfer()
    const after = await Promise.resolve(remote.put()).catch((e: unknown) => e as Error)
    expect(after).toMatchObject({
      name: 'InsufficientOzoneError',
      message: 'Ozone short. Prepay STOS',
      owner: '0x00000000000000000000000000000000000000ab',
      shortfallBytes: 4096n,
      shortMessage: 'Ozone short',
    })
    port1.close()
    port2.close()
  })

  it('a follower tab rebuilds the fields the leader sent with the name and message', () => {
    const err = errorFromPlain({
      name: 'InsufficientOzoneError',
      message: 'Ozone short',
      owner: '0xab',
      shortfallBytes: 5n,
    } as { name: string; message: string })
    expect(err).toMatchObject({ name: 'InsufficientOzoneError', owner: '0xab', shortfallBytes: 5n })
  })
})
