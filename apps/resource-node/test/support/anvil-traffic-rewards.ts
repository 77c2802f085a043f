/** The `TrafficRewards` pool on local anvil chains, funded with bridged STOS, for reward tests. */
import type { BridgeClient } from '@stratos-edge/polygon-bridge'
import { afterAll, beforeAll } from 'vitest'
import { tempDir } from '../traffic-fixtures.js'
import { type AnvilChains, startAnvilChains } from './anvil-chains.js'

/** One STOS in wei. */
export const STOS = 10n ** 18n

/** Chains whose rewards pool holds 1000 STOS, and the bridge client of account 5 (the meta service's). */
export interface AnvilTrafficRewards extends AnvilChains {
  client: BridgeClient
}

/**
 * Starts the chains (`epochDuration` in seconds when given), deposits 1000 STOS from account 0 to the
 * `TrafficRewards` contract on Polygon and relays it there.
 */
export async function startAnvilTrafficRewards(
  init: { epochDuration?: number } = {},
): Promise<AnvilTrafficRewards> {
  const anvil = await startAnvilChains(init.epochDuration ? { epochDuration: init.epochDuration } : {})
  try {
    const treasury = anvil.bridgeClient(0)
    await treasury.deposit({ amount: 1000n * STOS, to: anvil.chains.addresses.polygon.trafficRewards! })
    await anvil.chains.relayer.syncState()
  } catch (err) {
    await anvil.stop()
    throw err
  }
  return { ...anvil, client: anvil.bridgeClient(5) }
}

/** {@link AnvilTrafficRewards} with a temporary directory for the settlement's store. */
export interface AnvilTrafficRewardsSuite extends AnvilTrafficRewards {
  dir: string
}

/**
 * Registers `beforeAll`/`afterAll` hooks in the calling `describe` that start the funded chains and make
 * a temporary directory, then stop and delete them. The object returned is filled in by `beforeAll`:
 * read it inside tests.
 */
export function useAnvilTrafficRewards(): AnvilTrafficRewardsSuite {
  const suite = {} as AnvilTrafficRewardsSuite
  let cleanup: (() => Promise<void>) | undefined
  beforeAll(async () => {
    Object.assign(suite, await startAnvilTrafficRewards())
    const made = await tempDir()
    suite.dir = made.dir
    cleanup = made.cleanup
  })
  afterAll(async () => {
    await suite.stop?.()
    await cleanup?.()
  })
  return suite
}
