import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** A structured logger: one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

/** Options of {@link createLogger}. */
export interface LoggerInit {
  level?: LogLevel
  /** Where lines go (default: process.stderr, keeping stdout for the ready line). */
  write?: (line: string) => void
  fields?: Record<string, unknown>
}

/** Errors log as `{ name, message }` and bigints as decimal strings, as the node's logs always have. */
function plain(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message }
  if (typeof v === 'bigint') return v.toString()
  return v
}

function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) out[k] = plain(v)
  return out
}

function wrap(p: PinoLogger<never, boolean>): Logger {
  // pino takes (fields, message); this interface takes (message, fields).
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields) p[level](plainFields(fields), msg)
      else p[level](msg)
    }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(p.child(plainFields(fields))),
  }
}

/**
 * A JSON-lines logger (`{"level":"info","time":…,"msg":…,…}`) on stderr, written by pino.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' })
 * log.info('slice stored', { hash, bytes: 4194304 })
 * ```
 */
export function createLogger(init: LoggerInit = {}): Logger {
  const write = init.write
  // Synchronous writes to fd 2 by default: a crash (or kill -9) must not lose the lines before it.
  const destination: DestinationStream = write
    ? { write: (line: string) => write(line) }
    : pino.destination({ dest: 2, sync: true })
  const p = pino(
    {
      level: init.level ?? 'info',
      base: init.fields ? plainFields(init.fields) : null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
  return wrap(p)
}
