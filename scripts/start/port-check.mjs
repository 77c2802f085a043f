// Before anything starts, every fixed port is tried once, so a taken port is one clear line, not a
// stack trace from a child process's log.
import { createServer } from 'node:net'

/** A port `npm start` needs is already taken. */
export class PortInUseError extends Error {
  name = 'PortInUseError'
}

function tryListen(port, host) {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()))
  })
}

/**
 * Throws PortInUseError for the first port (other than 0) that cannot be bound on 127.0.0.1.
 * @param {Array<{ port: number, option: string, what: string }>} wanted
 */
export async function checkPortsFree(wanted) {
  for (const { port, option, what } of wanted) {
    if (port === 0) continue
    try {
      await tryListen(port, '127.0.0.1')
    } catch (err) {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${err.code})`
      throw new PortInUseError(
        `port ${port} (${what}) ${why}; stop what uses it or choose another with --${option} <n>`,
      )
    }
  }
}
