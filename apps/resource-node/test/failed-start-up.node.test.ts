/**
 * A node whose start-up fails after its tickets were opened closes their sqlite handles (else each failed
 * attempt leaks them, and the files stay open until the process ends).
 */
import { readdir, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNodeInit } from '../src/index.js'
import { quietLogger, tempDir } from './helpers.js'

/** This process's open sqlite files in `dir` (Linux: the links under /proc/self/fd). */
async function openDatabasesIn(dir: string): Promise<string[]> {
  const links = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  )
  return links.filter((l) => l.startsWith(`${dir}/`) && l.endsWith('.sqlite'))
}

describe('a failed start-up closes the ticket databases it opened', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  const failToStart = async (init: Partial<ResourceNodeInit>, prepare?: (dir: string) => Promise<void>) => {
    const d = await tempDir('failed-start')
    cleanups.push(d.cleanup)
    await prepare?.(d.dir)
    const starting = createResourceNode(
      { dataDir: d.dir, tcpPort: 0, wsPort: 0, httpPort: 0, tickets: { network: 31337 }, ...init },
      { logger: quietLogger },
    )
    await expect(starting).rejects.toThrow()
    return openDatabasesIn(d.dir)
  }

  it('of a node whose meta service address is malformed (read after the tickets open)', async () => {
    expect(await failToStart({ bootstrap: ['not a multiaddr'] })).toEqual([])
  })

  it('of a meta node whose slice store cannot open (the ledger is open too)', async () => {
    // A file stands where the store's folder goes.
    const blocked = (dir: string) => writeFile(join(dir, 'store'), 'not a folder')
    expect(await failToStart({ meta: true }, blocked)).toEqual([])
  })
})
