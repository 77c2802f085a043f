// Compiles contracts/**/*.sol offline with solc-js and the OpenZeppelin sources from node_modules.
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import solc from 'solc'

const require = createRequire(import.meta.url)
export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const contractsDir = join(packageDir, 'contracts')
const ozDir = dirname(require.resolve('@openzeppelin/contracts/package.json'))

export interface CompiledContract {
  abi: unknown[]
  bytecode: `0x${string}`
  deployedSize: number
}

function listSolidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return listSolidityFiles(path)
    return entry.name.endsWith('.sol') ? [path] : []
  })
}

/** Reads every contract source; `overrides` replaces a source's text by its path relative to contracts/. */
export function readSources(overrides: Record<string, string> = {}): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {}
  for (const file of listSolidityFiles(contractsDir)) {
    const name = relative(contractsDir, file)
    sources[name] = { content: overrides[name] ?? readFileSync(file, 'utf8') }
  }
  return sources
}

/** Compiles with the optimizer (200 runs, cancun) and returns every contract defined under contracts/. */
export function compileContracts(overrides: Record<string, string> = {}): Record<string, CompiledContract> {
  const input = {
    language: 'Solidity',
    sources: readSources(overrides),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const findImports = (path: string): { contents: string } | { error: string } => {
    if (path.startsWith('@openzeppelin/contracts/')) {
      return { contents: readFileSync(join(ozDir, path.slice('@openzeppelin/contracts/'.length)), 'utf8') }
    }
    return { error: `import not found: ${path}` }
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }))
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === 'error')
  if (errors.length > 0) {
    throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n'))
  }
  const result: Record<string, CompiledContract> = {}
  for (const [source, contracts] of Object.entries(
    output.contracts as Record<
      string,
      Record<
        string,
        { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
      >
    >,
  )) {
    if (source.startsWith('@openzeppelin/') || source.startsWith('interfaces/')) continue
    for (const [name, c] of Object.entries(contracts)) {
      if (c.evm.bytecode.object.length === 0) continue
      result[name] = {
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedSize: c.evm.deployedBytecode.object.length / 2,
      }
    }
  }
  return result
}
