/**
 * Stands in for `ozone-prepay-loader.ts` in the `<script>` build (one file, so no chunks): loads the payment
 * code from `ozone-prepay.js` beside the script, on first use.
 */
const script = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null)
const base = script?.src ?? (typeof document === 'undefined' ? '' : document.baseURI)

/** Loads the payment module from beside this script. */
export const loadOzonePrepay = (): Promise<typeof import('./ozone-prepay.js')> =>
  import(/* @vite-ignore */ new URL('./ozone-prepay.js', base).href)
