import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own pair of anvil chains; two files at a time suits a 2-core CI machine.
    maxWorkers: 2,
  },
})
