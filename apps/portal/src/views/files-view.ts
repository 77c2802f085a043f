/**
 * Files: upload (progress in bytes, rate and time left; cancel), the files you own (download, share
 * links with copy, delete), and download by file hash or sdm:// link, saved under the manifest's name and
 * MIME type. Failures are told in plain words.
 */
import { html } from 'lit'
import { plainError } from '../error-text.ts'
import { formatBytes } from '../format.ts'
import type { OwnedFile, OwnedFiles } from '../owned-files.ts'
import { copyText, PortalView } from './portal-view.ts'
import { describeProgress, type TransferState } from './transfer-progress.ts'

interface Transfer extends TransferState {
  controller: AbortController
}

function fileHashOf(ref: string): string {
  return ref.split('/').pop() ?? ref
}

export class FilesView extends PortalView {
  static override properties = {
    ...PortalView.properties,
    owned: { attribute: false },
    upload: { state: true },
    download: { state: true },
    uploadMessage: { state: true },
    uploadError: { state: true },
    downloadMessage: { state: true },
    downloadError: { state: true },
    copied: { state: true },
  }
  declare owned: OwnedFiles | undefined
  declare upload: Transfer | undefined
  declare download: Transfer | undefined
  declare uploadMessage: string
  declare uploadError: string
  declare downloadMessage: string
  declare downloadError: string
  declare copied: string

  constructor() {
    super()
    this.uploadMessage = ''
    this.uploadError = ''
    this.downloadMessage = ''
    this.downloadError = ''
    this.copied = ''
  }

  private async submitUpload(event: SubmitEvent) {
    event.preventDefault()
    const input = this.querySelector<HTMLInputElement>('#upload-file')
    const file = input?.files?.[0]
    this.uploadMessage = ''
    this.uploadError = ''
    if (!file) {
      this.uploadError = 'Choose a file to upload first.'
      return
    }
    const node = this.session?.node
    if (!node) {
      this.uploadError = plainError({ name: 'NodeStoppedError' }, 'upload', this.session?.online)
      return
    }
    const controller = new AbortController()
    const startedAt = performance.now()
    this.upload = {
      label: 'Preparing',
      bytes: 0,
      totalBytes: file.size,
      startedAt,
      now: startedAt,
      controller,
    }
    const phases = { hashing: 'Hashing', storing: 'Storing', pushing: 'Sending', done: 'Done' }
    try {
      const result = await node.put(file, {
        name: file.name,
        mimeType: file.type || 'application/octet-stream',
        signal: controller.signal,
        onProgress: (p) => {
          this.upload = {
            ...this.upload!,
            label: phases[p.phase],
            bytes: p.bytes,
            totalBytes: p.totalBytes,
            now: performance.now(),
          }
        },
      })
      const owned: OwnedFile = {
        fileHash: result.fileHash,
        uri: result.uri,
        name: file.name,
        mimeType: file.type || 'application/octet-stream',
        size: result.size,
        ...(result.gatewayUrl ? { gatewayUrl: result.gatewayUrl } : {}),
        uploadedAt: Date.now(),
      }
      this.owned?.add(owned)
      this.uploadMessage = `Uploaded ${file.name} (${formatBytes(result.size)}) to ${result.replicas.length} resource node${result.replicas.length === 1 ? '' : 's'}.`
      if (input) input.value = ''
      await this.session?.refresh()
    } catch (err) {
      this.uploadError = controller.signal.aborted
        ? 'Upload cancelled.'
        : plainError(err, 'upload', this.session?.online)
    } finally {
      this.upload = undefined
    }
  }

  private async startDownload(ref: string, knownName?: string) {
    this.downloadMessage = ''
    this.downloadError = ''
    const node = this.session?.node
    if (!node) {
      this.downloadError = plainError({ name: 'NodeStoppedError' }, 'download', this.session?.online)
      return
    }
    const controller = new AbortController()
    const startedAt = performance.now()
    this.download = { label: 'Looking up', bytes: 0, totalBytes: 0, startedAt, now: startedAt, controller }
    let name = knownName
    let mimeType: string | undefined
    // Progress events come over their own channel from the worker and may arrive after the last chunk:
    // the manifest's name and type are taken once the last one (every byte counted) is in.
    let counted: () => void = () => {}
    const allCounted = new Promise<void>((resolve) => {
      counted = resolve
    })
    const onProgress = (
      e: CustomEvent<{ ref: string; bytes: number; totalBytes: number; name?: string; mimeType?: string }>,
    ) => {
      if (e.detail.ref !== ref || !this.download) return
      name = e.detail.name ?? name
      mimeType = e.detail.mimeType ?? mimeType
      this.download = {
        ...this.download,
        label: 'Downloading',
        bytes: e.detail.bytes,
        totalBytes: e.detail.totalBytes,
        now: performance.now(),
      }
      if (e.detail.bytes >= e.detail.totalBytes) counted()
    }
    node.addEventListener('download:progress', onProgress)
    try {
      const reader = node.get(ref, { signal: controller.signal }).getReader()
      const parts: Uint8Array[] = []
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parts.push(value)
      }
      await Promise.race([allCounted, new Promise((resolve) => setTimeout(resolve, 2000))])
      const owned = this.owned?.list().find((f) => f.fileHash === fileHashOf(ref))
      const type = mimeType ?? owned?.mimeType ?? 'application/octet-stream'
      const fileName = name ?? owned?.name ?? fileHashOf(ref)
      const blob = new Blob(parts as BlobPart[], { type })
      const link = document.createElement('a')
      link.href = URL.createObjectURL(blob)
      link.download = fileName
      link.click()
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000)
      this.downloadMessage = `Saved ${fileName} (${type}, ${formatBytes(blob.size)}).`
      await this.session?.refresh()
    } catch (err) {
      this.downloadError = controller.signal.aborted
        ? 'Download cancelled.'
        : plainError(err, 'download', this.session?.online)
    } finally {
      node.removeEventListener('download:progress', onProgress)
      this.download = undefined
    }
  }

  private submitDownload(event: SubmitEvent) {
    event.preventDefault()
    const ref = this.querySelector<HTMLInputElement>('#download-ref')?.value.trim() ?? ''
    if (!ref) {
      this.downloadError = 'Paste a file hash (v05j1m5…) or an sdm:// link.'
      return
    }
    void this.startDownload(ref)
  }

  private async deleteFile(file: OwnedFile) {
    if (
      !confirm(
        `Delete ${file.name} from this browser and from your list? Resource nodes keep their copies until withdrawal from the network is supported.`,
      )
    )
      return
    try {
      await this.session?.node?.drop(file.fileHash, { includeOwned: true })
      this.owned?.remove(file.fileHash)
      this.uploadMessage = `Deleted ${file.name} from this browser.`
      await this.session?.refresh()
    } catch (err) {
      this.uploadError = plainError(err, 'upload', this.session?.online)
    }
  }

  private async copy(what: string, text: string) {
    this.copied = (await copyText(text)) ? `Copied the ${what}.` : `Copy the ${what} by hand: ${text}`
  }

  private progress(t: Transfer | undefined, id: string) {
    if (!t) return ''
    return html`<div class="transfer" id=${id}>
      <progress max=${Math.max(t.totalBytes, 1)} value=${t.bytes} aria-label=${`${t.label} progress`}></progress>
      <span class="transfer-text">${describeProgress(t)}</span>
      <button type="button" class="secondary" @click=${() => t.controller.abort()}>Cancel</button>
    </div>`
  }

  private fileRow(file: OwnedFile) {
    return html`<li class="file">
      <div class="file-head">
        <strong class="file-name">${file.name}</strong>
        <span class="muted">${formatBytes(file.size)} · ${file.mimeType} · ${new Date(file.uploadedAt).toLocaleString()}</span>
      </div>
      <dl class="links">
        ${
          file.gatewayUrl
            ? html`<dt>Gateway URL</dt>
                <dd><a href=${file.gatewayUrl} target="_blank" rel="noopener">${file.gatewayUrl}</a>
                  <button type="button" class="secondary" @click=${() => this.copy('gateway URL', file.gatewayUrl!)}>Copy<span class="visually-hidden"> gateway URL of ${file.name}</span></button></dd>`
            : ''
        }
        <dt>sdm:// link</dt>
        <dd><code>${file.uri}</code>
          <button type="button" class="secondary" @click=${() => this.copy('sdm:// link', file.uri)}>Copy<span class="visually-hidden"> sdm:// link of ${file.name}</span></button></dd>
      </dl>
      <div class="actions">
        <button type="button" @click=${() => this.startDownload(file.uri, file.name)} ?disabled=${this.download !== undefined}>Download<span class="visually-hidden"> ${file.name}</span></button>
        <button type="button" class="danger" @click=${() => this.deleteFile(file)}>Delete<span class="visually-hidden"> ${file.name}</span></button>
      </div>
    </li>`
  }

  override render() {
    const files = this.owned?.list() ?? []
    return html`<section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload</h2>
        <form id="upload-form" @submit=${this.submitUpload}>
          <label for="upload-file">File</label>
          <div class="inline">
            <input id="upload-file" type="file" />
            <button type="submit" ?disabled=${this.upload !== undefined}>Upload</button>
          </div>
        </form>
        ${this.progress(this.upload, 'upload-progress')}
        <p id="upload-status" role="status">${this.uploadMessage}</p>
        <p id="upload-error" class="error" role="alert">${this.uploadError}</p>
      </section>
      <section aria-labelledby="owned-title">
        <h2 id="owned-title">Your files</h2>
        ${files.length === 0 ? html`<p>You have not uploaded anything from this browser yet.</p>` : html`<ul class="files" id="owned-files">${files.map((f) => this.fileRow(f))}</ul>`}
        <p class="muted" role="status">${this.copied}</p>
      </section>
      <section aria-labelledby="download-title">
        <h2 id="download-title">Download</h2>
        <form id="download-form" @submit=${this.submitDownload} novalidate>
          <label for="download-ref">File hash or sdm:// link</label>
          <div class="inline">
            <input id="download-ref" autocomplete="off" spellcheck="false" placeholder="sdm://st1…/v05j1m5…" />
            <button type="submit" ?disabled=${this.download !== undefined}>Download</button>
          </div>
        </form>
        ${this.progress(this.download, 'download-progress')}
        <p id="download-status" role="status">${this.downloadMessage}</p>
        <p id="download-error" class="error" role="alert">${this.downloadError}</p>
      </section>`
  }
}
customElements.define('files-view', FilesView)
