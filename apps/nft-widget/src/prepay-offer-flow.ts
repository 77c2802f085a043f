/**
 * The element's side of the prepay offer: runs an upload, and when the owner's ozone is short shows the
 * offer box, emits `stratos-nft-prepay-offer` / `stratos-nft-prepaid`, and prepays (the payment code loads
 * lazily, on the first offer accepted).
 */
import type { PutSigner } from '@stratos-edge/light-node'
import type { BridgeAddresses, ChainConnection, NetworkName } from '@stratos-edge/polygon-bridge'
import type { NftUploadResult } from './nft-upload.js'
import { type PrepayReceipt, parseStos, uploadWithPrepayOffer } from './ozone-offer.js'
import { loadOzonePrepay } from './ozone-prepay-loader.js'
import type { PrepayOfferBox } from './prepay-offer-box.js'
import type { PrepayOfferDetail } from './uploader-types.js'
import { isEip1193 } from './wallet.js'

/** STOS offered when `prepay-stos` is not set. */
const DEFAULT_PREPAY = '10'

/** What the offer needs of the element. */
export interface PrepayOfferFlowInit {
  /** Where the events are dispatched (the element). */
  host: EventTarget
  offer: PrepayOfferBox
  /** Says a line in the element's live region. */
  announce(text: string): void
  signer: PutSigner | undefined
  /** Who pays; default the wallet when it is an EIP-1193 provider. */
  payer: ChainConnection | undefined
  /** The contracts: addresses, or a network name (`payments-network`). */
  network: BridgeAddresses | NetworkName | undefined
  /** The `prepay-stos` attribute. */
  prepayStos: string | null
  signal: AbortSignal
}

/** Runs `upload`; if the owner's ozone is short, offers to prepay, prepays if accepted, and goes on. */
export function withPrepayOffer(
  upload: () => Promise<NftUploadResult>,
  init: PrepayOfferFlowInit,
): Promise<NftUploadResult> {
  const { host, offer, signer, network } = init
  const payer = init.payer ?? (isEip1193(signer) ? { eip1193: signer } : undefined)
  const owner = signer && !isEip1193(signer) ? signer.address : undefined
  const emit = <T>(type: string, detail: T) =>
    host.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }))
  return uploadWithPrepayOffer({
    upload,
    amount: parseStos(init.prepayStos ?? DEFAULT_PREPAY) ?? (parseStos(DEFAULT_PREPAY) as bigint),
    owner,
    signal: init.signal,
    offer: async (short, amount) => {
      // No payer or no contracts: nothing to offer, the creator sees the shortfall as an error.
      if (!payer || !network) return false
      emit<PrepayOfferDetail>('stratos-nft-prepay-offer', {
        owner: short.owner,
        shortfallBytes: short.shortfallBytes,
        amount,
      })
      init.announce('Your prepaid storage is short')
      const yes = await offer.ask(short, amount)
      if (yes) offer.busy('Confirm the payment in your wallet…')
      return yes
    },
    prepay: async (beneficiary, amount) => {
      const { prepayOzone } = await loadOzonePrepay()
      // (Only called after an accepted offer, which needs both.)
      return prepayOzone({
        payer: payer as ChainConnection,
        network: network as NetworkName | BridgeAddresses,
        beneficiary,
        amount,
      })
    },
    onPrepaid: (receipt) => {
      offer.busy('Paid. Waiting for the storage network to credit it…')
      emit<PrepayReceipt>('stratos-nft-prepaid', receipt)
    },
  })
}
