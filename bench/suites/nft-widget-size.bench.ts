// The NFT widget's entry weight: what a page loads before the creator acts (the files the package's
// `exports` name, and the chunks they import statically; the light node, its worker and any payment code
// are dynamic imports and not counted), against Uppy Core + Dashboard, both bundled and minified by the
// same esbuild in this run. Budget: the widget's entry ≤ 29 KB gzip. `npm run bench -- nft-widget-size`
// (after `npm run build`).
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, version as esbuildVersion, type Metafile } from 'esbuild'
import { writeResults } from '../results.js'

const here = dirname(fileURLToPath(import.meta.url))
const bench = join(here, '..')
const widgetDir = join(bench, '..', 'apps', 'nft-widget')
const outRoot = join(bench, 'results', 'tmp', 'nft-widget-size')
const BUDGET_KB = 29
const require = createRequire(import.meta.url)

interface Measured {
  /** Minified bytes and gzip bytes (level 9) of the entry and its static imports. */
  bytes: number
  gzipBytes: number
  files: string[]
  /** Bytes of chunks loaded only by dynamic import (not counted above). */
  lazyBytes: number
}

/** Bundles `entry` (splitting on, so dynamic imports stay separate chunks) and measures the static closure. */
async function measure(name: string, entry: string, external: string[] = []): Promise<Measured> {
  const outdir = join(outRoot, name)
  rmSync(outdir, { recursive: true, force: true })
  const result = await build({
    entryPoints: { entry },
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir,
    metafile: true,
    write: true,
    logLevel: 'error',
    external,
    loader: { '.css': 'empty' },
  })
  const meta: Metafile = result.metafile
  const entryOut = Object.keys(meta.outputs).find((o) => meta.outputs[o]?.entryPoint !== undefined)
  if (!entryOut) throw new Error(`no entry output for ${name}`)
  const seen = new Set<string>()
  const visit = (out: string) => {
    if (seen.has(out)) return
    seen.add(out)
    for (const imp of meta.outputs[out]?.imports ?? [])
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path)
  }
  visit(entryOut)
  let bytes = 0
  let gzipBytes = 0
  for (const out of seen) {
    const data = readFileSync(out)
    bytes += data.length
    gzipBytes += gzipSync(data, { level: 9 }).length
  }
  const lazyBytes = Object.entries(meta.outputs)
    .filter(([out]) => out.endsWith('.js') && !seen.has(out))
    .reduce((sum, [, o]) => sum + o.bytes, 0)
  return { bytes, gzipBytes, files: [...seen].map((f) => relative(outdir, f)), lazyBytes }
}

function gzipOfFile(path: string): { bytes: number; gzipBytes: number } {
  const data = readFileSync(path)
  return { bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length }
}

const kb = (n: number) => Math.round((n / 1000) * 100) / 100

const pkg = JSON.parse(readFileSync(join(widgetDir, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: string }>
}
const entry = join(widgetDir, pkg.exports['.']?.import ?? '')
const react = join(widgetDir, pkg.exports['./react']?.import ?? '')
const widget = await measure('widget', entry)
const wrapper = await measure('react', react, ['react'])
const script = gzipOfFile(join(widgetDir, 'dist', 'stratos-nft-widget.iife.js'))
const uppyEntry = join(outRoot, 'uppy-entry.js')
const { writeFileSync, mkdirSync } = await import('node:fs')
mkdirSync(outRoot, { recursive: true })
writeFileSync(
  uppyEntry,
  "import Uppy from '@uppy/core'\nimport Dashboard from '@uppy/dashboard'\nexport { Uppy, Dashboard }\n",
)
// Resolve Uppy from the bench package (its devDependency), whatever directory esbuild runs in.
const uppy = await measure('uppy', uppyEntry)
const uppyCss = gzipOfFile(
  join(dirname(require.resolve('@uppy/dashboard/package.json')), 'dist', 'style.min.css'),
)
const uppyVersions = {
  core: (require('@uppy/core/package.json') as { version: string }).version,
  dashboard: (require('@uppy/dashboard/package.json') as { version: string }).version,
}

console.log(`esbuild ${esbuildVersion}, minify, esm, gzip -9; KB = 1000 bytes`)
console.log(
  `nft-widget entry (exports ".")        ${kb(widget.bytes)} KB min, ${kb(widget.gzipBytes)} KB gzip   (budget ${BUDGET_KB} KB gzip; lazy chunks ${kb(widget.lazyBytes)} KB min)`,
)
console.log(
  `nft-widget React wrapper (./react)    ${kb(wrapper.bytes)} KB min, ${kb(wrapper.gzipBytes)} KB gzip (react external)`,
)
console.log(
  `nft-widget <script> file (vite/oxc)   ${kb(script.bytes)} KB min, ${kb(script.gzipBytes)} KB gzip`,
)
console.log(
  `Uppy Core ${uppyVersions.core} + Dashboard ${uppyVersions.dashboard}  ${kb(uppy.bytes)} KB min, ${kb(uppy.gzipBytes)} KB gzip JS (+ ${kb(uppyCss.gzipBytes)} KB gzip CSS)`,
)
console.log(`ratio widget / Uppy (JS gzip)         ${(widget.gzipBytes / uppy.gzipBytes).toFixed(3)}`)
const withinBudget = widget.gzipBytes <= BUDGET_KB * 1000
writeResults('nft-widget-size', {
  minifier: `esbuild ${esbuildVersion}`,
  budgetGzipKB: BUDGET_KB,
  withinBudget,
  widgetEntry: widget,
  reactWrapper: wrapper,
  scriptTagFile: script,
  uppy: { versions: uppyVersions, js: uppy, css: uppyCss },
  ratioWidgetToUppyGzip: widget.gzipBytes / uppy.gzipBytes,
})
rmSync(outRoot, { recursive: true, force: true })
if (!withinBudget) {
  console.error(`nft-widget entry is ${kb(widget.gzipBytes)} KB gzip, over the ${BUDGET_KB} KB budget`)
  process.exit(1)
}
