import { DecodeError, InvalidArgumentError, MAX_SLICE_SIZE } from '@stratos-edge/core'

/**
 * The body length of a slice upload from its Content-Length header: DecodeError (400) when it is missing
 * or not a number, InvalidArgumentError (413) when it is over core's `MAX_SLICE_SIZE`, however many digits
 * it has (a length too long to parse is still "too large", not "missing").
 *
 * @example
 * ```ts
 * const size = uploadBodyLength(req.headers['content-length'])
 * ```
 */
export function uploadBodyLength(contentLength: string | undefined): number {
  if (contentLength === undefined || !/^\d+$/.test(contentLength)) {
    throw new DecodeError('Content-Length is required', 'Send the slice as one body of known length')
  }
  // Leading zeros say nothing about the size; more than 12 significant digits is past any limit.
  const digits = contentLength.replace(/^0+(?=\d)/, '')
  const size = digits.length > 12 ? Number.POSITIVE_INFINITY : Number(digits)
  if (size > MAX_SLICE_SIZE) {
    throw new InvalidArgumentError(
      `A slice of ${digits.length > 12 ? `${digits.length} digits of` : size} bytes is over the ${MAX_SLICE_SIZE}-byte limit`,
      'Cut the file into smaller slices',
    )
  }
  return size
}
