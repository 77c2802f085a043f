// The logger's contract, which every part of the node logs through: one JSON object per line with
// level, time and msg; fields merged in; errors as { name, message }; bigints as strings; the level
// filter; child loggers carrying their fields.
import { describe, expect, it } from 'vitest'
import { createLogger, type LoggerInit } from '../src/logger.js'

function capture(init: Omit<LoggerInit, 'write'> = {}) {
  const lines: string[] = []
  const log = createLogger({ ...init, write: (line) => lines.push(line) })
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { log, lines, records }
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, ISO time and msg', () => {
    const { log, lines, records } = capture()
    log.info('slice stored', { hash: 'v05ahm5', bytes: 4194304 })
    expect(lines).toHaveLength(1)
    expect(lines[0]?.endsWith('\n')).toBe(true)
    const [rec] = records()
    expect(rec).toMatchObject({ level: 'info', msg: 'slice stored', hash: 'v05ahm5', bytes: 4194304 })
    expect(new Date(rec?.time as string).toISOString()).toBe(rec?.time)
  })

  it('drops records below the level', () => {
    const { log, records } = capture({ level: 'warn' })
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ])
  })

  it('defaults to info', () => {
    const { log, records } = capture()
    log.debug('hidden')
    log.info('shown')
    expect(records().map((r) => r.msg)).toEqual(['shown'])
  })

  it('logs errors as name and message, and bigints as decimal strings', () => {
    const { log, records } = capture()
    const err = new Error('disk full')
    err.name = 'StoreFullError'
    log.error('put failed', { err, wei: 10n ** 20n })
    expect(records()[0]).toMatchObject({
      err: { name: 'StoreFullError', message: 'disk full' },
      wei: '100000000000000000000',
    })
  })

  it('children carry their fields and the parent does not', () => {
    const { log, records } = capture({ fields: { node: 'a' } })
    const child = log.child({ part: 'gateway' })
    child.child({ peer: 'p1' }).info('hello', { n: 1 })
    log.info('parent')
    const [fromChild, fromParent] = records()
    expect(fromChild).toMatchObject({ node: 'a', part: 'gateway', peer: 'p1', n: 1, msg: 'hello' })
    expect(fromParent).toMatchObject({ node: 'a', msg: 'parent' })
    expect(fromParent).not.toHaveProperty('part')
  })
})
