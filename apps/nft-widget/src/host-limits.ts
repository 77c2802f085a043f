/** Limits the host page sets on what creators may upload, checked before any byte moves. */
import { formatBytes } from './byte-size.js'
import { FileTooLargeError, FileTypeNotAllowedError } from './errors.js'
import { extensionOf, mimeTypeOf } from './media-kind.js'

/** The host's limits and the messages it wants shown when a file breaks them. */
export interface HostLimits {
  /** Largest file allowed, in bytes. */
  maxBytes?: number
  /**
   * Allowed types, as in an `<input accept>`: MIME types (`video/mp4`), wildcards (`image/*`) or
   * extensions (`.glb`). Empty or absent: any type.
   */
  accept?: string[]
  /** Shown when a file is too large; `{name}` and `{max}` are replaced. */
  tooLargeMessage?: string
  /** Shown when a file's type is not allowed; `{name}` and `{type}` are replaced. */
  wrongTypeMessage?: string
}

/** Splits an `accept` attribute value (`image/*, .glb,video/mp4`) into its entries. */
export function parseAccept(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0)
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole)
}

function typeAllowed(file: { name: string; type: string }, accept: string[]): boolean {
  if (accept.length === 0) return true
  const type = mimeTypeOf(file).toLowerCase()
  const ext = `.${extensionOf(file.name)}`
  return accept.some((entry) => {
    if (entry.startsWith('.')) return entry === ext
    if (entry.endsWith('/*')) return type.startsWith(entry.slice(0, -1))
    return entry === type
  })
}

/**
 * Throws `FileTooLargeError` or `FileTypeNotAllowedError` (with the host's message when it gave one) if
 * the file breaks the host's limits. Reads only the file's name, type and size.
 *
 * @example
 * ```ts
 * checkHostLimits(file, { maxBytes: 50e6, accept: ['image/*', '.glb'], tooLargeMessage: 'Max 50 MB' })
 * ```
 */
export function checkHostLimits(
  file: { name: string; type: string; size: number },
  limits: HostLimits,
): void {
  const values = {
    name: file.name,
    max: limits.maxBytes === undefined ? '' : formatBytes(limits.maxBytes),
    type: mimeTypeOf(file),
  }
  if (!typeAllowed(file, limits.accept ?? [])) {
    throw new FileTypeNotAllowedError(
      limits.wrongTypeMessage
        ? fill(limits.wrongTypeMessage, values)
        : `“${file.name}” is a kind of file this marketplace does not accept (${values.type})`,
      limits.wrongTypeMessage ? undefined : `Choose one of: ${(limits.accept ?? []).join(', ')}`,
    )
  }
  if (limits.maxBytes !== undefined && file.size > limits.maxBytes) {
    throw new FileTooLargeError(
      limits.tooLargeMessage
        ? fill(limits.tooLargeMessage, values)
        : `“${file.name}” is ${formatBytes(file.size)}, more than the ${values.max} this marketplace allows`,
      limits.tooLargeMessage ? undefined : 'Choose a smaller file',
    )
  }
}
