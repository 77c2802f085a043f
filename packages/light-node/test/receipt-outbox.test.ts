import { describe, expect, it } from 'vitest'
import { createReceiptOutbox } from '../src/node/traffic/receipt-outbox.js'

function memorySettings() {
  const values = new Map<string, Uint8Array>()
  return {
    getSetting: async (name: string) => values.get(name),
    setSetting: async (name: string, value: Uint8Array) => {
      values.set(name, value)
    },
  }
}

const provider = { peerId: 'peer-a', multiaddrs: ['/ip4/127.0.0.1/tcp/1/ws'], kind: 'resource' as const }
const kept = (key: string, bytes: number, at = 1000) => ({
  key,
  provider,
  bytes,
  receipt: new Uint8Array([1, 2, bytes & 0xff]),
  ticket: new Uint8Array([9, 9]),
  at,
})

describe('receipt outbox', () => {
  it('keeps the largest total per key until a send covers it, across instances', async () => {
    const settings = memorySettings()
    const outbox = createReceiptOutbox({}, { settings, now: () => 2000 })
    await Promise.all([outbox.keep(kept('t|a|1', 300)), outbox.keep(kept('t|b|1', 100))])
    await outbox.keep(kept('t|a|1', 200)) // smaller: the kept one stays
    const again = createReceiptOutbox({}, { settings, now: () => 2000 })
    expect((await again.list()).map((k) => [k.key, k.bytes, [...k.receipt]])).toEqual([
      ['t|a|1', 300, [1, 2, 300 & 0xff]],
      ['t|b|1', 100, [1, 2, 100]],
    ])
    await again.sent('t|a|1', 200) // does not cover 300
    await again.sent('t|b|1', 100)
    expect((await again.list()).map((k) => k.key)).toEqual(['t|a|1'])
  })

  it('drops receipts past their age and beyond its size, oldest first', async () => {
    const settings = memorySettings()
    let now = 0
    const outbox = createReceiptOutbox({ maxReceipts: 2, maxAgeMs: 100 }, { settings, now: () => now })
    for (let i = 0; i < 3; i++) await outbox.keep(kept(`k${i}`, 10, i))
    expect((await outbox.list()).map((k) => k.key)).toEqual(['k1', 'k2'])
    now = 102
    expect((await outbox.list()).map((k) => k.key)).toEqual(['k2'])
  })

  it('reads an unreadable stored value as empty', async () => {
    const settings = memorySettings()
    await settings.setSetting('receipt-outbox', new TextEncoder().encode('{not json'))
    expect(await createReceiptOutbox({}, { settings }).list()).toEqual([])
  })
})
