import { BrowserProvider, JsonRpcProvider, type Provider, type Signer, toBeHex, Wallet } from 'ethers'
import { NoSignerError, WrongChainError } from './errors.js'

/** The minimal EIP-1193 provider shape (MetaMask's `window.ethereum`, WalletConnect, …). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>
}

/**
 * How the client reaches one chain: an ethers `Signer` (e.g. a `Wallet` with a key, in Node), a read-only
 * `Provider`, or an EIP-1193 wallet (`{ eip1193: window.ethereum }`). One wallet may serve both chains: the
 * client asks it to switch (`wallet_switchEthereumChain`) before each call on the other chain.
 */
export type ChainConnection = Signer | Provider | { eip1193: Eip1193Provider }

/** A connection resolved for one expected chain id. */
export interface ResolvedChain {
  readonly chainId: number
  readonly label: string
  provider(): Promise<Provider>
  signer(): Promise<Signer>
}

function isSigner(c: ChainConnection): c is Signer {
  return typeof (c as Signer).getAddress === 'function' && typeof (c as Signer).signTransaction === 'function'
}

function isEip1193(c: ChainConnection): c is { eip1193: Eip1193Provider } {
  return typeof (c as { eip1193?: unknown }).eip1193 === 'object'
}

/** Resolves a {@link ChainConnection} for `chainId`; checks (and for wallets, switches) the chain before use. */
export function resolveChain(connection: ChainConnection, chainId: number, label: string): ResolvedChain {
  if (isEip1193(connection)) {
    const eip = connection.eip1193
    const ensure = async (): Promise<BrowserProvider> => {
      const current = Number(await eip.request({ method: 'eth_chainId' }))
      if (current !== chainId) {
        await eip.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: toBeHex(chainId) }] })
        const after = Number(await eip.request({ method: 'eth_chainId' }))
        if (after !== chainId) {
          throw new WrongChainError(
            `The wallet is on chain ${after}, not ${label} (${chainId})`,
            'Switch the wallet to that network',
          )
        }
      }
      return new BrowserProvider(eip, chainId)
    }
    return {
      chainId,
      label,
      provider: ensure,
      signer: async () => (await ensure()).getSigner(),
    }
  }
  let checked: Promise<void> | undefined
  const provider = isSigner(connection) ? connection.provider : (connection as Provider)
  if (!provider)
    throw new NoSignerError(`The ${label} signer has no provider`, 'Connect the signer to a provider')
  const check = (): Promise<void> => {
    checked ??= provider.getNetwork().then((n) => {
      if (Number(n.chainId) !== chainId) {
        throw new WrongChainError(
          `The ${label} connection is on chain ${n.chainId}, expected ${chainId}`,
          'Pass a provider for the right chain or fix the address book',
        )
      }
    })
    return checked
  }
  return {
    chainId,
    label,
    async provider() {
      await check()
      return provider
    },
    async signer() {
      await check()
      if (!isSigner(connection)) {
        throw new NoSignerError(
          `The ${label} connection is read-only`,
          'Pass a Signer (Wallet) or an EIP-1193 wallet to send transactions',
        )
      }
      return connection
    },
  }
}

/**
 * A Node-friendly connection: a `Wallet` for `privateKey` on a JSON-RPC endpoint.
 *
 * @example
 * ```ts
 * const polygon = connectWithPrivateKey({ rpcUrl: 'http://127.0.0.1:8546', chainId: 31338, privateKey })
 * ```
 */
export function connectWithPrivateKey(init: { rpcUrl: string; chainId: number; privateKey: string }): Wallet {
  const provider = new JsonRpcProvider(init.rpcUrl, init.chainId, {
    staticNetwork: true,
    pollingInterval: 250,
    cacheTimeout: -1,
  })
  return new Wallet(init.privateKey, provider)
}
