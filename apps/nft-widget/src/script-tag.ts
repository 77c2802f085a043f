/**
 * The `<script>` build: registers `<stratos-nft-uploader>` and puts the API on `window.StratosNftWidget`.
 * The light node loads on first use from `light-node.js` beside this script (see light-node-by-url.ts).
 */
import * as api from './index.js'
import { defineNftUploader } from './uploader-element.js'

defineNftUploader()
;(globalThis as { StratosNftWidget?: typeof api }).StratosNftWidget = api
