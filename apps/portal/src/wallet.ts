/**
 * The visitor's wallet (an EIP-1193 provider such as a browser extension), shared by the views: once
 * connected, uploads are owned by it (`put(file, { signer })`), its files are withdrawn with its
 * signature, and claims are paid from it. Without one, the node's own key owns and signs.
 */

/** An EIP-1193 provider, as wallets inject it (`window.ethereum`). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>
}

/**
 * The wallet connection; listeners of `change` re-render.
 *
 * @example
 * ```ts
 * const wallet = createWallet((globalThis as { ethereum?: Eip1193Provider }).ethereum)
 * await wallet.connect()
 * console.log(wallet.account)
 * ```
 */
export function createWallet(provider: Eip1193Provider | undefined) {
  const events = new EventTarget()
  let account: string | undefined
  let error = ''
  const changed = () => events.dispatchEvent(new Event('change'))
  return {
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    /** The provider, when the browser has one. */
    provider,
    /** The connected account (`0x…`), once connected. */
    get account(): string | undefined {
      return account
    },
    /** Why the last connect failed, in plain words ('' when it did not). */
    get error(): string {
      return error
    },
    /** The signer for the node's calls: the provider, once an account is connected. */
    get signer(): Eip1193Provider | undefined {
      return account ? provider : undefined
    },
    /** True when `address` is the connected account. */
    owns(address: string): boolean {
      return account !== undefined && account.toLowerCase() === address.toLowerCase()
    },
    async connect(): Promise<void> {
      error = ''
      try {
        if (!provider) throw new Error('no wallet in this browser')
        const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as string[] | undefined
        account = accounts?.[0]
        if (!account) error = 'The wallet shared no account.'
      } catch (err) {
        error = `The wallet refused: ${(err as Error).message}`
      }
      changed()
    },
    disconnect(): void {
      account = undefined
      changed()
    },
  }
}

export type Wallet = ReturnType<typeof createWallet>
