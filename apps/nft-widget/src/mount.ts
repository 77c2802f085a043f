/** The typed JS way to put an uploader on a page, for hosts that do not write the tag themselves. */
import type { LightNodeOptions } from '@stratos-edge/light-node'
import type { NftMetadataInput } from './metadata.js'
import type { NftUploadResult, TokenUriMode } from './nft-upload.js'
import type { UploaderNode } from './shared-light-node.js'
import { defineNftUploader, type NftUploaderElement, type UploaderErrorDetail } from './uploader-element.js'

/** Options of {@link mountNftUploader}; each mirrors an attribute of the element. */
export interface MountNftUploaderOptions {
  /** Multiaddrs of resource nodes (`resource-nodes`). */
  resourceNodes?: string[]
  /** Gateway base URL (`gateway-url`). */
  gatewayUrl?: string
  /** `https` (default) or `sdm` (`token-uri`). */
  tokenUri?: TokenUriMode
  /** Largest file, in bytes or with a unit (`max-size`). */
  maxSize?: number | string
  /** Allowed types (`accept`), e.g. `['image/*', 'video/mp4', '.glb']`. */
  accept?: string[]
  /** The host's messages (`too-large-message`, `wrong-type-message`); `{name}`, `{max}`, `{type}` are filled in. */
  messages?: { tooLarge?: string; wrongType?: string }
  /** ERC-1155 token id for `{id}` substitution (`token-id`). */
  tokenId?: bigint | number | string
  /** The submit button's text (`submit-label`). */
  submitLabel?: string
  /** Prefilled metadata. */
  metadata?: Partial<NftMetadataInput>
  /** A light node the host runs itself; default the page's shared one. */
  node?: UploaderNode
  /** Extra options for the shared light node. */
  nodeOptions?: Partial<LightNodeOptions>
  onUploaded?: (result: NftUploadResult) => void
  onError?: (error: UploaderErrorDetail) => void
}

/**
 * Creates a `<stratos-nft-uploader>`, configures it and appends it to `target`.
 *
 * @example
 * ```ts
 * const uploader = mountNftUploader(document.getElementById('mint')!, {
 *   resourceNodes: ['/dns4/node.example/tcp/443/wss/p2p/12D3KooW…'],
 *   maxSize: '100MB',
 *   accept: ['image/*', 'video/*', '.glb'],
 *   onUploaded: ({ tokenURI }) => mint(tokenURI),
 * })
 * ```
 */
export function mountNftUploader(target: Element, options: MountNftUploaderOptions = {}): NftUploaderElement {
  defineNftUploader()
  const el = document.createElement('stratos-nft-uploader') as NftUploaderElement
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') el.setAttribute(name, value)
  }
  set('resource-nodes', options.resourceNodes?.join(' '))
  set('gateway-url', options.gatewayUrl)
  set('token-uri', options.tokenUri)
  set('max-size', options.maxSize === undefined ? undefined : String(options.maxSize))
  set('accept', options.accept?.join(','))
  set('too-large-message', options.messages?.tooLarge)
  set('wrong-type-message', options.messages?.wrongType)
  set('token-id', options.tokenId === undefined ? undefined : String(options.tokenId))
  set('submit-label', options.submitLabel)
  if (options.node) el.node = options.node
  if (options.nodeOptions) el.nodeOptions = options.nodeOptions
  const { onUploaded, onError } = options
  if (onUploaded)
    el.addEventListener('stratos-nft-uploaded', (e) => onUploaded((e as CustomEvent<NftUploadResult>).detail))
  if (onError)
    el.addEventListener('stratos-nft-error', (e) => onError((e as CustomEvent<UploaderErrorDetail>).detail))
  target.append(el)
  if (options.metadata) el.fillMetadata(options.metadata)
  return el
}
