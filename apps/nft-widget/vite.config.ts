// Three builds (`vite build --mode …`):
//   default: the ES library (`exports`): the element entry, the React wrapper, and the light node as its
//            own chunk (with its worker), loaded on first use;
//   script:  one file for a <script> tag; it loads dist/light-node.js (and dist/ozone-prepay.js, when a
//            creator prepays) by URL on first use;
//   demo:    the marketplace mint page (demo/), served by `npm start` and the e2e test, and a small
//            React app using the wrapper (demo/react.html).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

export default defineConfig(({ mode }) => {
  if (mode === 'script')
    return {
      resolve: {
        alias: [
          { find: '@stratos-edge/light-node', replacement: src('light-node-by-url.ts') },
          { find: /^\.\/ozone-prepay-loader\.js$/, replacement: src('ozone-prepay-by-url.ts') },
        ],
      },
      build: {
        target: 'es2022',
        emptyOutDir: false,
        lib: {
          entry: src('script-tag.ts'),
          formats: ['iife'],
          name: 'StratosNftWidgetScript',
          fileName: () => 'stratos-nft-widget.iife.js',
        },
      },
    }
  if (mode === 'demo')
    return {
      root: fileURLToPath(new URL('./demo', import.meta.url)),
      logLevel: 'warn',
      build: {
        target: 'es2022',
        outDir: fileURLToPath(new URL('./dist/demo', import.meta.url)),
        emptyOutDir: true,
        sourcemap: true,
        rollupOptions: {
          input: {
            index: fileURLToPath(new URL('./demo/index.html', import.meta.url)),
            react: fileURLToPath(new URL('./demo/react.html', import.meta.url)),
          },
        },
      },
      worker: { format: 'es' },
    }
  return {
    build: {
      target: 'es2022',
      emptyOutDir: true,
      lib: {
        entry: {
          'stratos-nft-widget': src('index.ts'),
          react: src('react.ts'),
          'light-node': src('light-node-chunk.ts'),
          // The payment code (ethers, the bridge client): loaded when a creator accepts a prepay offer.
          'ozone-prepay': src('ozone-prepay.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: { external: ['react', 'react/jsx-runtime'] },
    },
    worker: { format: 'es' },
  }
})
