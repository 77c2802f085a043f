/** The error a promise rejects with, for tests that assert on its name and message. */

/** Awaits `p` and returns what it rejected with; throws when it resolved instead. */
export async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}
