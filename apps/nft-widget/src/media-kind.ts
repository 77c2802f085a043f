/** What kind of NFT media a file is, from its MIME type or, when the browser gives none, its name. */

/** The media kinds the uploader previews and places in the metadata. */
export type MediaKind = 'image' | 'video' | 'audio' | 'model' | 'html' | 'other'

const BY_EXTENSION: Record<string, { kind: MediaKind; mimeType: string }> = {
  glb: { kind: 'model', mimeType: 'model/gltf-binary' },
  gltf: { kind: 'model', mimeType: 'model/gltf+json' },
  html: { kind: 'html', mimeType: 'text/html' },
  htm: { kind: 'html', mimeType: 'text/html' },
  png: { kind: 'image', mimeType: 'image/png' },
  jpg: { kind: 'image', mimeType: 'image/jpeg' },
  jpeg: { kind: 'image', mimeType: 'image/jpeg' },
  gif: { kind: 'image', mimeType: 'image/gif' },
  webp: { kind: 'image', mimeType: 'image/webp' },
  svg: { kind: 'image', mimeType: 'image/svg+xml' },
  mp4: { kind: 'video', mimeType: 'video/mp4' },
  webm: { kind: 'video', mimeType: 'video/webm' },
  mov: { kind: 'video', mimeType: 'video/quicktime' },
  mp3: { kind: 'audio', mimeType: 'audio/mpeg' },
  wav: { kind: 'audio', mimeType: 'audio/wav' },
  ogg: { kind: 'audio', mimeType: 'audio/ogg' },
  flac: { kind: 'audio', mimeType: 'audio/flac' },
}

/** The lower-case extension of a file name, without the dot ('' when there is none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/**
 * The MIME type of a file: the browser's, or one guessed from the extension (browsers give glb files
 * no type), else `application/octet-stream`.
 */
export function mimeTypeOf(file: { name: string; type: string }): string {
  return file.type || BY_EXTENSION[extensionOf(file.name)]?.mimeType || 'application/octet-stream'
}

/**
 * The media kind of a file.
 *
 * @example
 * ```ts
 * mediaKindOf({ name: 'ship.glb', type: '' }) // 'model'
 * ```
 */
export function mediaKindOf(file: { name: string; type: string }): MediaKind {
  const type = mimeTypeOf(file)
  if (type.startsWith('image/')) return 'image'
  if (type.startsWith('video/')) return 'video'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('model/')) return 'model'
  if (type === 'text/html') return 'html'
  return BY_EXTENSION[extensionOf(file.name)]?.kind ?? 'other'
}
