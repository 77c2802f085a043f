/**
 * A thin React wrapper around `<stratos-nft-uploader>`: props become attributes, callbacks become event
 * listeners. React is a peer dependency, not bundled.
 *
 * @example
 * ```tsx
 * import { NftUploader } from '@stratos-edge/nft-widget/react'
 * <NftUploader resourceNodes={[addr]} maxSize="100MB" onUploaded={({ tokenURI }) => mint(tokenURI)} />
 * ```
 */
import { type CSSProperties, createElement, type ReactElement, useEffect, useRef, version } from 'react'
import type { MountNftUploaderOptions } from './mount.js'
import type { NftUploadResult } from './nft-upload.js'
import { defineNftUploader, type NftUploaderElement, type UploaderErrorDetail } from './uploader-element.js'

/** Props of {@link NftUploader}: the mount options, plus `className` and `style`. */
export interface NftUploaderProps extends Omit<MountNftUploaderOptions, 'metadata'> {
  className?: string
  style?: CSSProperties
}

/** `<stratos-nft-uploader>` as a React component. */
export function NftUploader(props: NftUploaderProps): ReactElement {
  defineNftUploader()
  const ref = useRef<NftUploaderElement | null>(null)
  const { onUploaded, onError, node, nodeOptions } = props
  useEffect(() => {
    const el = ref.current
    if (!el) return
    if (node) el.node = node
    if (nodeOptions) el.nodeOptions = nodeOptions
    const uploaded = (e: Event) => onUploaded?.((e as CustomEvent<NftUploadResult>).detail)
    const failed = (e: Event) => onError?.((e as CustomEvent<UploaderErrorDetail>).detail)
    el.addEventListener('stratos-nft-uploaded', uploaded)
    el.addEventListener('stratos-nft-error', failed)
    return () => {
      el.removeEventListener('stratos-nft-uploaded', uploaded)
      el.removeEventListener('stratos-nft-error', failed)
    }
  }, [onUploaded, onError, node, nodeOptions])
  const attrs: Record<string, string | undefined> = {
    'resource-nodes': props.resourceNodes?.join(' '),
    'gateway-url': props.gatewayUrl,
    'token-uri': props.tokenUri,
    'max-size': props.maxSize === undefined ? undefined : String(props.maxSize),
    accept: props.accept?.join(','),
    'too-large-message': props.messages?.tooLarge,
    'wrong-type-message': props.messages?.wrongType,
    'token-id': props.tokenId === undefined ? undefined : String(props.tokenId),
    'submit-label': props.submitLabel,
  }
  return createElement('stratos-nft-uploader', {
    ref,
    // React 18 passes `class` to custom elements as is, and would set a `classname` attribute; 19 maps className.
    [Number.parseInt(version, 10) >= 19 ? 'className' : 'class']: props.className,
    style: props.style,
    ...Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)),
  })
}
