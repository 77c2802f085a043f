// Every public export of core carries TSDoc, and the package doc opens with a runnable example.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const entry = join(dirname(fileURLToPath(import.meta.url)), '../src/index.ts')

describe('public API docs', () => {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry)
  if (!source) throw new Error('index.ts not found')
  const moduleSymbol = checker.getSymbolAtLocation(source)
  if (!moduleSymbol) throw new Error('index.ts is not a module')
  const exports = checker.getExportsOfModule(moduleSymbol)

  it('exports a substantial API', () => {
    expect(exports.length).toBeGreaterThan(100)
  })

  it('every export has TSDoc', () => {
    const undocumented = exports
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
        return target.getDocumentationComment(checker).length === 0
      })
      .map((s) => s.getName())
    expect(undocumented).toEqual([])
  })

  it('index.ts opens with a package doc and an example', () => {
    const text = source.getFullText()
    expect(text.trimStart().startsWith('/**')).toBe(true)
    expect(text.slice(0, text.indexOf('*/'))).toContain('@example')
  })
})
