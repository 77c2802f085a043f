/**
 * `<stratos-nft-uploader>`: choose or drop media, fill OpenSea metadata, upload both through the page's
 * shared light node, and get a tokenURI. Everything the creator sees lives in a shadow root themed by
 * custom properties and `::part()`.
 */
import type { LightNodeOptions, PutSigner } from '@stratos-edge/light-node'
import type { BridgeAddresses, ChainConnection, NetworkName } from '@stratos-edge/polygon-bridge'
import { h } from './dom.js'
import { createFileRow, type FileRow } from './file-row.js'
import { checkHostLimits, type HostLimits } from './host-limits.js'
import { mediaKindOf } from './media-kind.js'
import type { NftMetadataInput } from './metadata.js'
import { createMetadataForm, type MetadataForm } from './metadata-form.js'
import { type MediaFile, type NftUploadResult, type TokenUriMode, uploadNft } from './nft-upload.js'
import { createPrepayOfferBox, type PrepayOfferBox } from './prepay-offer-box.js'
import { withPrepayOffer } from './prepay-offer-flow.js'
import { sharedLightNode, type UploaderNode } from './shared-light-node.js'
import { UPLOADER_CSS } from './styles.js'
import { describeHeld, describeProgress } from './upload-progress.js'
import { hintOf, hostLimitsOf, lightNodeOptionsOf, OBSERVED_ATTRIBUTES } from './uploader-attributes.js'
import type { UploaderErrorDetail, UploaderState } from './uploader-types.js'
import { resolveWallet } from './wallet.js'

export type { PrepayOfferDetail, UploaderErrorDetail, UploaderState } from './uploader-types.js'

/** The custom element class; registered as `stratos-nft-uploader` by `defineNftUploader()`. */
export class NftUploaderElement extends HTMLElement {
  static get observedAttributes(): readonly string[] {
    return OBSERVED_ATTRIBUTES
  }

  /** A light node the host started itself; default: the page's shared one, started on first use. */
  node: UploaderNode | undefined
  /** Extra options for the shared light node (ICE servers, slice size…). */
  nodeOptions: Partial<LightNodeOptions> = {}
  /**
   * The creator's wallet, which owns the media and the metadata (`sdm://<its st1>/…`): an EIP-1193
   * provider (its first account signs) or any `{ address, signTypedData }`. Wins over the `wallet`
   * attribute. Unset, and no `wallet` attribute: the light node's own key owns the upload.
   */
  signer: PutSigner | undefined
  /**
   * Who pays a prepayment on Polygon: `{ eip1193: provider }` or an ethers signer. Default: the wallet
   * when it is an EIP-1193 provider.
   */
  payer: ChainConnection | undefined
  /** The bridge's contract addresses for prepaying; wins over the `payments-network` attribute. */
  paymentAddresses: BridgeAddresses | undefined

  private readonly root: ShadowRoot
  private readonly form: MetadataForm
  private readonly input: HTMLInputElement
  private readonly drop: HTMLDivElement
  private readonly list: HTMLUListElement
  private readonly status: HTMLDivElement
  private readonly errorBox: HTMLDivElement
  private readonly result: HTMLDivElement
  private readonly hint: HTMLParagraphElement
  private readonly offer: PrepayOfferBox
  private readonly media: MediaFile[] = []
  private readonly rows = new Map<MediaFile | 'metadata', FileRow>()
  private controller: AbortController | undefined
  private running: Promise<NftUploadResult> | undefined

  constructor() {
    super()
    this.root = this.attachShadow({ mode: 'open' })
    this.input = h('input', { type: 'file', multiple: true, class: 'sr-only', part: 'file-input' })
    this.hint = h('p', { class: 'hint' })
    this.drop = h(
      'div',
      { class: 'drop', part: 'dropzone' },
      h('p', {}, 'Drag your artwork here, or'),
      h('label', { class: 'choose', part: 'button choose' }, 'Choose files', this.input),
      this.hint,
    )
    this.list = h('ul', { class: 'files', part: 'files', 'aria-label': 'Files to upload' })
    this.form = createMetadataForm(this.getAttribute('submit-label') ?? 'Upload')
    this.status = h('div', { class: 'status', part: 'status', role: 'status', 'aria-live': 'polite' })
    this.errorBox = h('div', { class: 'error', part: 'error', role: 'alert' })
    this.result = h('div', { class: 'result', part: 'result', hidden: true })
    this.offer = createPrepayOfferBox()
    const style = h('style', {}, UPLOADER_CSS)
    this.root.append(
      style,
      h(
        'div',
        { class: 'root', part: 'root' },
        this.drop,
        this.list,
        this.form.element,
        this.status,
        this.errorBox,
        this.offer.element,
        this.result,
      ),
    )
    this.input.addEventListener('change', () => {
      this.addFiles([...(this.input.files ?? [])])
      this.input.value = ''
    })
    this.drop.addEventListener('dragover', (e) => {
      e.preventDefault()
      this.drop.classList.add('over')
    })
    this.drop.addEventListener('dragleave', () => this.drop.classList.remove('over'))
    this.drop.addEventListener('drop', (e) => {
      e.preventDefault()
      this.drop.classList.remove('over')
      this.addFiles([...(e.dataTransfer?.files ?? [])])
    })
    this.form.element.addEventListener('submit', (e) => {
      e.preventDefault()
      this.upload().catch(() => {})
    })
  }

  connectedCallback(): void {
    if (!this.hasAttribute('state')) this.setState('empty')
    this.renderHint()
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    // (A parser-created element gets its attributes after the constructor: everything is applied here.)
    if (name === 'max-size' || name === 'accept') this.renderHint()
    if (name === 'accept') this.input.accept = value ?? ''
    if (name === 'submit-label') this.form.setSubmitLabel(value ?? 'Upload')
  }

  /** The element's state: empty, ready (files chosen), uploading, done or error. */
  get state(): UploaderState {
    return (this.getAttribute('state') as UploaderState | null) ?? 'empty'
  }

  /** The host's limits, read from the attributes. */
  get limits(): HostLimits {
    return hostLimitsOf(this)
  }

  /**
   * Adds media files, as if chosen or dropped: each is checked against the host's limits first (a file
   * that breaks them is refused with the host's message, and nothing is read or sent). An image fills
   * `image`; anything else fills `animation_url`; a new file replaces the one in its slot.
   */
  addFiles(files: File[]): void {
    if (this.state === 'uploading') return
    this.showError(undefined)
    let refused = false
    for (const file of files) {
      try {
        checkHostLimits(file, this.limits)
      } catch (err) {
        refused = true
        this.showError(err as Error)
        continue
      }
      const role = mediaKindOf(file) === 'image' ? 'image' : 'animation_url'
      const previous = this.media.find((m) => m.role === role)
      if (previous) this.removeMedia(previous)
      const item: MediaFile = { role, file }
      this.media.push(item)
      this.addRow(item)
    }
    if (!refused) this.setState(this.media.length > 0 ? 'ready' : 'empty')
  }

  /** Fills the metadata form. */
  fillMetadata(input: Partial<NftMetadataInput>): void {
    this.form.fill(input)
  }

  /** Cancels the upload in progress (its stored slices are dropped by the light node). */
  cancel(): void {
    this.offer.hide()
    this.controller?.abort(new DOMException('Cancelled by the creator', 'AbortError'))
  }

  /**
   * Uploads the media and the metadata; resolves with the result that the `stratos-nft-uploaded` event
   * also carries. Files stored by an earlier, interrupted attempt are not sent again.
   */
  upload(): Promise<NftUploadResult> {
    if (this.running) return this.running
    this.running = this.runUpload().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async runUpload(): Promise<NftUploadResult> {
    this.showError(undefined)
    this.result.hidden = true
    const controller = new AbortController()
    this.controller = controller
    this.setState('uploading')
    this.form.setDisabled(true)
    this.announce('Uploading…')
    try {
      const signer = resolveWallet({ attribute: this.getAttribute('wallet'), signer: this.signer })
      const node = this.node ?? (await sharedLightNode(this.lightNodeOptions()))
      const tokenUri: TokenUriMode = this.getAttribute('token-uri') === 'sdm' ? 'sdm' : 'https'
      const gatewayUrl = this.getAttribute('gateway-url') ?? undefined
      const tokenId = this.getAttribute('token-id') ?? undefined
      const upload = () =>
        uploadNft({
          node,
          signer,
          media: this.media,
          input: this.form.read(),
          tokenUri,
          ...(gatewayUrl ? { gatewayUrl } : {}),
          ...(tokenId ? { tokenId } : {}),
          signal: controller.signal,
          onFileState: (item, state) => this.onFileState(item, state),
          onProgress: (item, p) => {
            const row = this.rows.get(item)
            if (!row) return
            const announced = describeHeld(row.tracker.last) !== undefined
            const shown = row.tracker.update(p)
            row.progress.value = shown.fraction
            row.text.textContent = describeProgress(shown)
            const held = describeHeld(shown)
            if (held && !announced) this.announce(`Resuming ${row.name}: ${held}`)
          },
        })
      const result = await withPrepayOffer(upload, {
        host: this,
        offer: this.offer,
        announce: (text) => this.announce(text),
        signer,
        payer: this.payer,
        network:
          this.paymentAddresses ??
          ((this.getAttribute('payments-network') ?? undefined) as NetworkName | undefined),
        prepayStos: this.getAttribute('prepay-stos'),
        signal: controller.signal,
      })
      this.showResult(result)
      this.setState('done')
      this.announce('Upload complete')
      this.dispatchEvent(
        new CustomEvent('stratos-nft-uploaded', { detail: result, bubbles: true, composed: true }),
      )
      return result
    } catch (err) {
      this.announce((err as Error).name === 'UploadCancelledError' ? 'Upload cancelled' : 'Upload stopped')
      this.showError(err as Error)
      throw err
    } finally {
      this.offer.hide()
      this.controller = undefined
      this.form.setDisabled(false)
    }
  }

  private lightNodeOptions(): LightNodeOptions {
    return lightNodeOptionsOf(this, this.nodeOptions)
  }

  private onFileState(item: MediaFile | 'metadata', state: 'uploading' | 'done' | 'failed'): void {
    let row = this.rows.get(item)
    if (!row && item === 'metadata') row = this.addRow('metadata')
    if (!row) return
    row.cancel.hidden = state !== 'uploading'
    row.retry.hidden = state !== 'failed'
    if (row.remove) row.remove.hidden = state === 'uploading'
    if (state === 'done') {
      row.progress.value = 1
      row.text.textContent = ['Stored', describeHeld(row.tracker.last)].filter(Boolean).join(' · ')
    }
    if (state === 'failed') row.text.textContent = 'Not stored'
  }

  private addRow(item: MediaFile | 'metadata'): FileRow {
    const row = createFileRow(item === 'metadata' ? { name: 'metadata.json' } : item, {
      cancel: () => this.cancel(),
      retry: () => {
        this.upload().catch(() => {})
      },
      ...(item === 'metadata' ? {} : { remove: () => this.removeMedia(item) }),
    })
    this.rows.set(item, row)
    this.list.append(row.li)
    return row
  }

  private removeMedia(item: MediaFile): void {
    const row = this.rows.get(item)
    if (row) {
      row.li.remove()
      if (row.url) URL.revokeObjectURL(row.url)
      this.rows.delete(item)
    }
    this.media.splice(this.media.indexOf(item), 1)
    if (this.state !== 'uploading') this.setState(this.media.length > 0 ? 'ready' : 'empty')
  }

  private renderHint(): void {
    this.hint.textContent = hintOf(this.limits)
  }

  private showResult(result: NftUploadResult): void {
    const link = h(
      'a',
      { href: result.tokenURI, part: 'token-uri', target: '_blank', rel: 'noopener' },
      result.tokenURI,
    )
    this.result.replaceChildren(
      h('strong', {}, 'Token URI: '),
      link,
      h('p', { class: 'owner', part: 'owner' }, 'Owned by ', h('code', {}, result.owner)),
    )
    this.result.hidden = false
  }

  private showError(err: Error | undefined): void {
    if (!err) {
      this.errorBox.textContent = ''
      return
    }
    this.errorBox.textContent = err.message
    this.setState('error')
    this.dispatchEvent(
      new CustomEvent<UploaderErrorDetail>('stratos-nft-error', {
        detail: { name: err.name, message: err.message, error: err },
        bubbles: true,
        composed: true,
      }),
    )
  }

  private announce(text: string): void {
    this.status.textContent = text
  }

  private setState(state: UploaderState): void {
    this.setAttribute('state', state)
  }
}

/**
 * Registers `<stratos-nft-uploader>` (once; later calls do nothing).
 *
 * @example
 * ```ts
 * import { defineNftUploader } from '@stratos-edge/nft-widget'
 * defineNftUploader()
 * ```
 */
export function defineNftUploader(tag = 'stratos-nft-uploader'): void {
  if (!customElements.get(tag)) customElements.define(tag, class extends NftUploaderElement {})
}
