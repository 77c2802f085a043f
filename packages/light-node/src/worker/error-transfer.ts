/**
 * Errors thrown across comlink keep their data fields. Comlink sends only `name`, `message` and `stack`
 * of an Error; typed errors carry more that callers act on (an `InsufficientOzoneError`'s `owner` and
 * `shortfallBytes`, an `HttpUploadError`'s `status`). This handler sends every own field whose value is a
 * string, number, bigint or boolean too; the page's comlink copies them onto the Error it throws.
 */
import { transferHandlers } from 'comlink'

/** The serialized form comlink's own `throw` handler reads on the other side. */
interface SerializedThrown {
  isError: boolean
  value: unknown
}

/** Replaces comlink's `throw` handler in this realm (the worker) with one that keeps data fields. */
export function installErrorTransfer(): void {
  const original = transferHandlers.get('throw')
  if (!original) return
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize(thrown: unknown) {
      const value = (thrown as { value?: unknown }).value
      if (!(value instanceof Error)) return original.serialize(thrown)
      const fields: Record<string, string | number | bigint | boolean> = {}
      for (const [k, v] of Object.entries(value)) {
        if (['string', 'number', 'bigint', 'boolean'].includes(typeof v)) fields[k] = v
      }
      const serialized: SerializedThrown = {
        isError: true,
        value: { ...fields, message: value.message, name: value.name, stack: value.stack },
      }
      return [serialized, []]
    },
    deserialize: original.deserialize,
  })
}
