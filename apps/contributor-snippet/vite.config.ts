import { defineConfig } from 'vite'

// Two entries: contributor.js (the embed script, a fixed name so sites can link it) and frame.html (the
// page the script loads in an iframe after consent, which runs the light node in this origin).
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: { contributor: 'src/contributor.ts', frame: 'frame.html' },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'contributor' ? 'contributor.js' : 'assets/[name]-[hash].js',
      },
    },
  },
  worker: { format: 'es' },
})
