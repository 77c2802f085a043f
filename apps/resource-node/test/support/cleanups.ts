/** The things a test file must undo (temporary directories, open stores), run in one go at the end. */
import { tempDir } from '../helpers.js'

/** Collects undo steps; `dir` makes a temporary directory and registers its deletion. */
export interface Cleanups {
  /** Registers `step`, run by {@link Cleanups.run} in the order added. */
  add(step: () => Promise<unknown>): void
  /** A new temporary directory `stratos-<prefix>-…`, deleted by {@link Cleanups.run}. */
  dir(): Promise<string>
  /** Runs and forgets every step registered so far (call it from `afterAll` or `afterEach`). */
  run(): Promise<void>
}

/** Cleanups whose directories are named from `prefix`. */
export function createCleanups(prefix: string): Cleanups {
  const steps: (() => Promise<unknown>)[] = []
  return {
    add: (step) => void steps.push(step),
    async dir() {
      const t = await tempDir(prefix)
      steps.push(t.cleanup)
      return t.dir
    },
    async run() {
      for (const step of steps.splice(0)) await step()
    },
  }
}
