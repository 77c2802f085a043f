// Serves a built Vite app and a generated /config.json, readable from any origin (the contributor
// snippet is embedded by other sites). `replace` fills %NAME% placeholders in HTML files.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/**
 * Starts the server on 127.0.0.1:`port`.
 * @returns {Promise<{ url: string, stop(): Promise<void> }>}
 */
export function serveStatic({ dir, port, config, replace = {} }) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    res.setHeader('access-control-allow-origin', '*')
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': MIME['.json'], 'cache-control': 'no-store' })
      return res.end(JSON.stringify(config ?? {}))
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path))
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found')
      return
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream'
    if (extname(file) === '.html' && Object.keys(replace).length > 0) {
      let text = readFileSync(file, 'utf8')
      for (const [name, value] of Object.entries(replace)) text = text.replaceAll(`%${name}%`, value)
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
      return res.end(text)
    }
    res.writeHead(200, { 'content-type': type })
    createReadStream(file).pipe(res)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        stop: () =>
          new Promise((r) => {
            server.closeAllConnections()
            server.close(() => r())
          }),
      })
    })
  })
}
