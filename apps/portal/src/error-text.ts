/**
 * Typed light-node errors in plain words for the page. Errors cross the worker boundary as
 * `{ name, message }`, so they are told apart by `name`, never by class.
 */

/** What the visitor was doing when the error happened. */
export type ErrorContext =
  | 'download'
  | 'upload'
  | 'contribute'
  | 'start'
  | 'withdraw'
  | 'claim'
  | 'earnings'
  | 'bind'

const WORDS: Record<string, string> = {
  InvalidFileHashError:
    'That is not a file hash or sdm:// link. A file hash starts with "v05j1m5"; a link with "sdm://".',
  InvalidSdmUriError: 'That sdm:// link is malformed. It reads sdm://<owner st1…>/<file hash>.',
  ManifestNotFoundError:
    'No file with this hash is known to the network. Check the hash or link; the owner may have deleted it.',
  NoProviderError: 'No node could deliver this file right now. Try again in a moment.',
  SliceVerificationError: 'The data received did not match the file hash and was thrown away. Try again.',
  StorageQuotaError: 'Not enough room in the storage you gave. Give more in Contribute, or delete files.',
  UploadFailedError: 'The resource nodes did not store every slice, so nothing was published. Try again.',
  FileChangedError: 'The file changed on disk while it was being uploaded. Upload it again.',
  WorkerLostError: 'The storage node in this tab stopped. Reconnect to start it again.',
  NodeStoppedError: 'The storage node in this tab is stopped. Reconnect to start it again.',
  NodeStartError:
    'The storage node could not reach the network. Check that the resource nodes are running, then reconnect.',
  NotOwnerError:
    'Only the owner can withdraw this file. Connect the wallet that uploaded it (or use the browser that did).',
  DeleteExpiredError:
    'The signed request was too old when it arrived. Check this computer’s clock and try again.',
  SignatureRejectedError: 'You declined the signature in your wallet, so nothing was changed.',
  SigningFailedError: 'The wallet could not sign. Unlock it, select the account, and try again.',
  InsufficientOzoneError:
    'The owner has not prepaid enough for this upload. Prepay STOS for the owner on Polygon (a payment counts after a block or two), then try again.',
  NothingToClaimError:
    'Nothing is claimable yet: rewards become claimable once an epoch you served in settles.',
  ClaimSignerError:
    'This wallet cannot send transactions, so it cannot claim. Disconnect it to claim with the node key.',
  ClaimFailedError:
    'A claim transaction failed or was not mined in time. Epochs claimed before it stay claimed; try again.',
  OwnerBindingRefusedError:
    'The network refused to record your wallet as this node’s owner (it may own too many nodes already, or be on another network).',
  TrafficUnavailableError:
    'Earnings are not available: this portal was started without the network id or the Polygon chain it pays on.',
  AbortedError: 'Cancelled.',
  AbortError: 'Cancelled.',
}

/**
 * A sentence for `err`, with the network's state taken into account: when the node is known to be
 * offline, a failed download says so instead of blaming the hash.
 *
 * @example
 * ```ts
 * plainError({ name: 'ManifestNotFoundError', message: 'No manifest for v05…' }, 'download', true)
 * ```
 */
export function plainError(err: unknown, context: ErrorContext, online = true): string {
  const { name, message } = (err ?? {}) as { name?: string; message?: string }
  const invalidInput = name === 'InvalidFileHashError' || name === 'InvalidSdmUriError'
  if (!online && !invalidInput && name !== 'AbortedError' && name !== 'AbortError')
    return 'The network is unreachable: no resource node answers. Reconnect when it is back.'
  const known = name ? WORDS[name] : undefined
  if (known) return known
  // Errors from a chain or a wallet carry a code, not a name of ours (ethers' codes; EIP-1193's 4001).
  const { code } = (err ?? {}) as { code?: unknown }
  if (code === 'INSUFFICIENT_FUNDS')
    return 'The account sending this has no POL on Polygon to pay the gas. Connect a wallet that has some, or send a little POL to your node’s address.'
  if (code === 4001 || code === 'ACTION_REJECTED') return 'You declined in your wallet, so nothing was sent.'
  const what = {
    download: 'The download',
    upload: 'The upload',
    contribute: 'Contributing',
    start: 'Starting',
    withdraw: 'Withdrawing the file',
    claim: 'The claim',
    earnings: 'Reading your earnings',
    bind: 'Recording your wallet as this node’s owner',
  }[context]
  return `${what} failed: ${message ?? String(err)}`
}
