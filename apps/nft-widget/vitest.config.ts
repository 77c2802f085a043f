import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The prepay offer's test starts a pair of anvil chains.
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
})
