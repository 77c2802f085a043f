/** What `<stratos-nft-uploader>`'s attributes mean: the host's limits, the light node's options, the hint. */
import type { LightNodeOptions } from '@stratos-edge/light-node'
import { formatBytes, parseByteSize } from './byte-size.js'
import { type HostLimits, parseAccept } from './host-limits.js'

/** The attributes the element reacts to. */
export const OBSERVED_ATTRIBUTES = [
  'resource-nodes',
  'gateway-url',
  'token-uri',
  'max-size',
  'accept',
  'too-large-message',
  'wrong-type-message',
  'token-id',
  'store-name',
  'network',
  'submit-label',
  'wallet',
  'payments-network',
  'prepay-stos',
] as const

/** Reads an attribute (null when absent), as `Element.getAttribute` does. */
type Attributes = Pick<Element, 'getAttribute'>

/** The host's limits, from `max-size`, `accept`, `too-large-message` and `wrong-type-message`. */
export function hostLimitsOf(el: Attributes): HostLimits {
  const maxBytes = parseByteSize(el.getAttribute('max-size'))
  const tooLarge = el.getAttribute('too-large-message')
  const wrongType = el.getAttribute('wrong-type-message')
  return {
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    accept: parseAccept(el.getAttribute('accept')),
    ...(tooLarge ? { tooLargeMessage: tooLarge } : {}),
    ...(wrongType ? { wrongTypeMessage: wrongType } : {}),
  }
}

/** The shared light node's options: `nodeOptions` from the host, then the attributes. */
export function lightNodeOptionsOf(el: Attributes, nodeOptions: Partial<LightNodeOptions>): LightNodeOptions {
  const nodes = (el.getAttribute('resource-nodes') ?? '').split(/[\s,]+/).filter((s) => s.length > 0)
  const gatewayUrl = el.getAttribute('gateway-url')
  const storeName = el.getAttribute('store-name')
  // The network whose upload tickets the resource nodes ask for (a chain id); without it, none.
  const network = Number(el.getAttribute('network') ?? Number.NaN)
  return {
    iceServers: [],
    ...nodeOptions,
    resourceNodes: nodeOptions.resourceNodes ?? nodes,
    ...(gatewayUrl ? { gatewayUrl } : {}),
    ...(storeName ? { storeName } : {}),
    ...(Number.isInteger(network) ? { network } : {}),
  }
}

/** The line under the drop zone: what may be dropped, and the host's limits. */
export function hintOf(limits: HostLimits): string {
  const parts = ['Image, video, audio, 3D model (glb, gltf) or HTML.']
  if (limits.accept && limits.accept.length > 0) parts.push(`Allowed: ${limits.accept.join(', ')}.`)
  if (limits.maxBytes !== undefined) parts.push(`Up to ${formatBytes(limits.maxBytes)}.`)
  return parts.join(' ')
}
