/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

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

function plain(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message }
  if (typeof v === 'bigint') return v.toString()
  return v
}

/**
 * A JSON-lines logger (`{"time":…,"level":"info","msg":…,…}`) on stderr.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' })
 * log.info('slice stored', { hash, bytes: 4194304 })
 * ```
 */
export function createLogger(init: LoggerInit = {}): Logger {
  const min = LEVELS[init.level ?? 'info']
  const write = init.write ?? ((line: string) => process.stderr.write(line))
  const base = init.fields ?? {}
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < min) return
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base }
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = plain(v)
    write(`${JSON.stringify(rec)}\n`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...init, fields: { ...base, ...fields } }),
  }
}
