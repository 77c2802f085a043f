/**
 * Stands in for `@stratos-edge/light-node` in the `<script>` build (one file, so no chunks): loads the
 * real module from `light-node.js` beside the script, on first use.
 */
import type { LightNode, LightNodeOptions } from '@stratos-edge/light-node'

const script = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null)
const base = script?.src ?? (typeof document === 'undefined' ? '' : document.baseURI)

/** Loads the light node's module from beside this script and starts a node. */
export async function createLightNode(options: LightNodeOptions): Promise<LightNode> {
  const mod = (await import(/* @vite-ignore */ new URL('./light-node.js', base).href)) as {
    createLightNode(o: LightNodeOptions): Promise<LightNode>
  }
  return mod.createLightNode(options)
}
