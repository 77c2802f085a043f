/**
 * The light node as a module of its own, beside the `<script>` build: that build is one file, so it loads
 * the node (and its worker) from here, by URL, on first use.
 */
export { createLightNode } from '@stratos-edge/light-node'
