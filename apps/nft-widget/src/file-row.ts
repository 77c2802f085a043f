/** One file's row in the uploader: preview, name, progress, and its Cancel / Retry / Remove buttons. */
import { formatBytes } from './byte-size.js'
import { h } from './dom.js'
import { mediaKindOf } from './media-kind.js'
import type { MediaRole } from './nft-upload.js'
import { createProgressTracker } from './upload-progress.js'

/** The parts of a row the uploader updates. */
export interface FileRow {
  /** The file's name, as shown. */
  readonly name: string
  readonly li: HTMLLIElement
  readonly progress: HTMLProgressElement
  readonly text: HTMLSpanElement
  readonly cancel: HTMLButtonElement
  readonly retry: HTMLButtonElement
  readonly remove?: HTMLButtonElement
  /** The preview's object URL, to revoke when the row goes. */
  readonly url?: string
  readonly tracker: ReturnType<typeof createProgressTracker>
}

/** What the row's buttons do. */
export interface FileRowActions {
  cancel(): void
  retry(): void
  remove?(): void
}

/** A preview of the file: image, video, audio, sandboxed HTML, or a labelled placeholder. */
function preview(file: File | undefined, url: string | undefined, name: string): HTMLElement {
  const label = `Preview of ${name}`
  if (!file || !url) return h('div', { class: 'preview', part: 'preview', 'aria-hidden': 'true' }, 'JSON')
  switch (mediaKindOf(file)) {
    case 'image':
      return h('img', { class: 'preview', part: 'preview', src: url, alt: label })
    case 'video':
      return h('video', { class: 'preview', part: 'preview', src: url, muted: true, 'aria-label': label })
    case 'audio':
      return h('audio', { class: 'preview', part: 'preview', src: url, controls: true, 'aria-label': label })
    case 'html':
      // No `allow-scripts`: the creator's page is shown, its scripts do not run in the host's page.
      return h('iframe', { class: 'preview', part: 'preview', src: url, sandbox: '', title: label })
    case 'model':
      return h('div', { class: 'preview', part: 'preview', role: 'img', 'aria-label': label }, '3D model')
    default:
      return h('div', { class: 'preview', part: 'preview', role: 'img', 'aria-label': label }, 'File')
  }
}

/**
 * Builds a row for a media file (`{ role, file }`) or for the metadata JSON (`{ name }`). The file's name
 * is set as text only.
 */
export function createFileRow(
  item: { role: MediaRole; file: File } | { name: string },
  actions: FileRowActions,
): FileRow {
  const file = 'file' in item ? item.file : undefined
  const name = file ? file.name : (item as { name: string }).name
  const url = file ? URL.createObjectURL(file) : undefined
  const progress = h('progress', {
    max: '1',
    value: '0',
    part: 'progress',
    'aria-label': `Upload of ${name}`,
  })
  const text = h('span', { class: 'progress-text', part: 'progress-text' }, 'Waiting')
  const cancel = h(
    'button',
    { type: 'button', part: 'button cancel', hidden: true, 'aria-label': `Cancel the upload of ${name}` },
    'Cancel',
  )
  const retry = h(
    'button',
    { type: 'button', part: 'button retry', hidden: true, 'aria-label': `Retry the upload of ${name}` },
    'Retry',
  )
  const remove = actions.remove
    ? h('button', { type: 'button', part: 'button remove', 'aria-label': `Remove ${name}` }, 'Remove')
    : undefined
  const role = 'role' in item ? (item.role === 'image' ? 'Image' : 'Animation') : 'Metadata'
  const li = h(
    'li',
    { class: 'file', part: 'file' },
    preview(file, url, name),
    h(
      'div',
      { class: 'file-info' },
      h('span', { class: 'file-name', part: 'file-name' }, name),
      h('span', { class: 'file-meta' }, file ? `${role} · ${formatBytes(file.size)}` : role),
      progress,
      text,
    ),
    h('div', { class: 'file-actions' }, cancel, retry, remove),
  )
  cancel.addEventListener('click', () => actions.cancel())
  retry.addEventListener('click', () => actions.retry())
  if (remove && actions.remove) remove.addEventListener('click', actions.remove)
  return {
    name,
    li,
    progress,
    text,
    cancel,
    retry,
    tracker: createProgressTracker(),
    ...(url ? { url } : {}),
    ...(remove ? { remove } : {}),
  }
}
