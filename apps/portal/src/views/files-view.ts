/**
 * Files: upload (progress in bytes, rate and time left; cancel), owned by the connected wallet when there
 * is one; the files this node owns, as the node lists them (download, share links with copy, withdraw
 * from the network after a confirm step); and download by file hash or sdm:// link, saved under the
 * manifest's name and MIME type. Failures are told in plain words.
 */
import type { LightNode, OwnedFile } from '@stratos-edge/light-node'
import { html, type PropertyValues } from 'lit'
import { plainError } from '../error-text.ts'
import { formatBytes } from '../format.ts'
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
    files: { state: true },
    confirming: { state: true },
    withdrawing: { state: true },
    upload: { state: true },
    download: { state: true },
    uploadMessage: { state: true },
    uploadError: { state: true },
    downloadMessage: { state: true },
    downloadError: { state: true },
    copied: { state: true },
  }
  /** The node's owned files, newest first (undefined until listed). */
  declare files: OwnedFile[] | undefined
  /** The file hash whose withdrawal waits for the confirm step. */
  declare confirming: string | undefined
  declare withdrawing: string | undefined
  /** The node the list was read from: a reconnect starts another. */
  private listedFrom: LightNode | undefined
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

  /** Reads the owned files again from the node (after a start, an upload, a withdrawal). */
  private async listFiles(): Promise<void> {
    const node = this.session?.node
    if (!node) return
    try {
      this.files = await node.files()
    } catch (err) {
      this.uploadError = plainError(err, 'start', this.session?.online)
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed)
    const node = this.session?.node
    if (node && node !== this.listedFrom) {
      this.listedFrom = node
      void this.listFiles()
    }
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
    const signer = this.wallet?.signer
    try {
      const result = await node.put(file, {
        ...(signer ? { signer } : {}),
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
      await this.listFiles()
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
      const owned = this.files?.find((f) => f.fileHash === fileHashOf(ref))
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

  /** Withdraws a file from the network, once confirmed: signed by its owner (the wallet, or the node's key). */
  private async withdrawFile(file: OwnedFile) {
    const node = this.session?.node
    this.confirming = undefined
    this.uploadMessage = ''
    this.uploadError = ''
    if (!node) {
      this.uploadError = plainError({ name: 'NodeStoppedError' }, 'withdraw', this.session?.online)
      return
    }
    this.withdrawing = file.fileHash
    try {
      const signer = this.wallet?.owns(file.owner) ? this.wallet.signer : undefined
      await node.withdraw(file.fileHash, signer ? { signer } : {})
      this.uploadMessage = `Withdrew ${file.name} from the network: its links no longer work.`
      await this.listFiles()
      await this.session?.refresh()
    } catch (err) {
      this.uploadError = plainError(err, 'withdraw', this.session?.online)
    } finally {
      this.withdrawing = undefined
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

  private confirmStep(file: OwnedFile) {
    const wallet = this.wallet?.owns(file.owner) ? ' Your wallet will ask you to sign the request.' : ''
    return html`<div class="confirm" role="group" aria-labelledby=${`confirm-${file.fileHash}`}>
      <p id=${`confirm-${file.fileHash}`}>Withdraw <strong>${file.name}</strong> from the network? The
        resource nodes drop it, its gateway URL and sdm:// link stop working, and this browser deletes its
        copy. This cannot be undone.${wallet}</p>
      <div class="actions">
        <button type="button" class="danger" @click=${() => this.withdrawFile(file)}>Withdraw<span class="visually-hidden"> ${file.name}</span></button>
        <button type="button" class="secondary" @click=${() => {
          this.confirming = undefined
        }}>Keep<span class="visually-hidden"> ${file.name}</span></button>
      </div>
    </div>`
  }

  private ownerLabel(owner: string): string {
    if (this.wallet?.owns(owner)) return `your wallet ${owner}`
    const node = this.session?.stat?.ownerAddress
    if (node && node.toLowerCase() === owner.toLowerCase()) return `this browser’s node key ${owner}`
    return owner
  }

  private fileRow(file: OwnedFile) {
    return html`<li class="file">
      <div class="file-head">
        <strong class="file-name">${file.name}</strong>
        <span class="muted">${formatBytes(file.size)} · ${file.mimeType} · ${new Date(file.createdAt).toLocaleString()}</span>
        <span class="muted wrap">Owner: ${this.ownerLabel(file.owner)}</span>
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
        <button type="button" class="danger" aria-expanded=${this.confirming === file.fileHash ? 'true' : 'false'}
          ?disabled=${this.withdrawing !== undefined}
          @click=${() => {
            this.confirming = file.fileHash
          }}>Delete<span class="visually-hidden"> ${file.name}</span></button>
      </div>
      ${this.confirming === file.fileHash ? this.confirmStep(file) : ''}
    </li>`
  }

  override render() {
    const files = this.files ?? []
    const owner = this.wallet?.account
    return html`<section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload</h2>
        <p class="muted" id="upload-owner">${
          owner
            ? html`Uploads are owned by your wallet <code class="wrap">${owner}</code>: it signs each one.`
            : 'Uploads are owned by this browser’s node key. Connect a wallet to own them with it.'
        }</p>
        ${
          this.wallet?.provider && !owner
            ? html`<button type="button" class="secondary" id="files-wallet-connect" @click=${() => this.wallet?.connect()}>Connect wallet</button>`
            : ''
        }
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
        ${this.files === undefined ? html`<p>Reading your files…</p>` : files.length === 0 ? html`<p>You have not uploaded anything from this browser yet.</p>` : html`<ul class="files" id="owned-files">${files.map((f) => this.fileRow(f))}</ul>`}
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
