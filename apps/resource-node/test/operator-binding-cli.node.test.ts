// The built CLI's operator flags: a key that cannot bind the node (its own traffic.key, a zero key) or
// a binding made for another node stops `start` at once with one stderr line; the operator signs a
// binding offline with `sign-operator-binding` for the address `traffic-address` prints, and a node
// started with `--operator-binding-file` binds itself at its meta service.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, toEvmAddress, toHex } from '@stratos-edge/core'
import { afterAll, describe, expect, it } from 'vitest'
import { operatorInit } from '../src/cli/operator-flags.js'
import { spawnResourceNode } from '../src/index.js'
import { signOwnerBinding } from '../src/node/operator-binding-file.js'
import { loadOrCreateNodeEvmKey, NODE_EVM_KEY_FILE } from '../src/node/traffic-key.js'
import { openNodeOwnerBook } from '../src/traffic/index.js'
import { metaStartArgs, runNode } from './cli-process.js'
import { tempDir, until } from './helpers.js'

const NETWORK = '31337'

describe('stratos-edge-node operator flags', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })
  const dirOf = async (prefix: string) => {
    const t = await tempDir(prefix)
    cleanups.push(t.cleanup)
    return t.dir
  }
  /** `start --provider-traffic` of a meta node in `dir` with `extra` flags. */
  const startArgs = (dir: string, ...extra: string[]) => [
    ...metaStartArgs(dir),
    ...['--network', NETWORK, '--provider-traffic', '--log-level', 'error', ...extra],
  ]

  it.each([
    ['its own traffic.key', (dir: string) => join(dir, NODE_EVM_KEY_FILE), /own traffic key/],
    ['a zero key', (dir: string) => join(dir, 'zero.key'), /not a valid/],
  ])('refuses %s as operator key at start, in one line (exit 2)', async (_, keyFile, reason) => {
    const dir = await dirOf('cli-operator-key')
    await writeFile(join(dir, 'zero.key'), `0x${'00'.repeat(32)}\n`)
    expect((await runNode(['traffic-address', '--data-dir', dir])).code).toBe(0)
    const run = await runNode(startArgs(dir, '--operator-key-file', keyFile(dir)))
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    // One line of ours (Node may add its own ExperimentalWarning for node:sqlite).
    const ours = run.stderr.split('\n').filter((line) => line.startsWith('stratos-edge-node:'))
    expect(ours).toHaveLength(1)
    expect(ours[0]).toMatch(reason)
  })

  it('binds from a binding signed offline; refuses one made for another node', async () => {
    const dir = await dirOf('cli-operator-binding')
    const other = await dirOf('cli-operator-binding-other')
    const operator = generateKeyPair()
    const keyFile = join(other, 'operator.key')
    await writeFile(keyFile, `${toHex(operator.privateKey)}\n`)
    const address = await runNode(['traffic-address', '--data-dir', dir])
    const node = toEvmAddress(address.stdout.trim())
    expect(node).toMatch(/^0x[0-9a-fA-F]{40}$/)
    // On the operator's machine: its wallet key signs; only the JSON goes to the server.
    const signed = await runNode([
      ...['sign-operator-binding', '--operator-key-file', keyFile],
      ...['--node', node, '--network', NETWORK],
    ])
    expect(signed.code).toBe(0)
    expect(JSON.parse(signed.stdout)).toMatchObject({ node, owner: operator.evmAddress, network: 31337 })
    expect(signed.stdout).not.toContain(toHex(operator.privateKey).slice(2))
    const bindingFile = join(other, 'binding.json')
    await writeFile(bindingFile, signed.stdout)

    const wrongNode = await runNode(startArgs(other, '--operator-binding-file', bindingFile))
    expect(wrongNode.code).toBe(2)
    expect(wrongNode.stderr).toMatch(/names node/)

    const started = await spawnResourceNode({ args: startArgs(dir, '--operator-binding-file', bindingFile) })
    cleanups.push(() => started.stop())
    expect(started.ready.trafficAccount).toBe(node)
    const book = openNodeOwnerBook({ dataDir: dir })
    cleanups.push(async () => book.close())
    await until(() => book.owners(node).length > 0, 15_000)
    expect(book.owners(node)).toEqual([operator.evmAddress])
  })

  it('refuses a binding for another --network, and both operator flags at once', async () => {
    const dir = await dirOf('cli-operator-network')
    const node = (await loadOrCreateNodeEvmKey(dir)).evmAddress
    const key = toHex(generateKeyPair().privateKey)
    const bindingFile = join(dir, 'binding.json')
    await writeFile(bindingFile, JSON.stringify(await signOwnerBinding({ network: 31337, node }, key)))
    await expect(operatorInit({ 'operator-binding-file': bindingFile, network: '137' }, dir)).rejects.toThrow(
      /not --network 137/,
    )
    await expect(
      operatorInit({ 'operator-binding-file': bindingFile, network: NETWORK }, dir),
    ).resolves.toMatchObject({
      operatorBinding: { node },
    })
    await expect(
      operatorInit({ 'operator-binding-file': bindingFile, 'operator-key-file': bindingFile }, dir),
    ).rejects.toThrow(/not both/)
  })

  it('sign-operator-binding needs its three flags (exit 2)', async () => {
    const run = await runNode(['sign-operator-binding', '--network', NETWORK])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/needs --operator-key-file/)
  })
})
