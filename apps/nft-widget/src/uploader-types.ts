/** The types `<stratos-nft-uploader>` shows the page: its state and its events' details. */

/** The element's state, reflected in its `state` attribute. */
export type UploaderState = 'empty' | 'ready' | 'uploading' | 'done' | 'error'

/** Detail of the `stratos-nft-error` event. */
export interface UploaderErrorDetail {
  readonly name: string
  readonly message: string
  readonly error: Error
}

/** Detail of the `stratos-nft-prepay-offer` event: the owner's ozone is short and the offer is shown. */
export interface PrepayOfferDetail {
  /** The account whose ozone is short (`st1…` or `0x…`). */
  readonly owner: string | undefined
  /** Bytes the prepaid ozone is short of, when the network said. */
  readonly shortfallBytes: bigint | undefined
  /** STOS (wei) the widget offers to prepay. */
  readonly amount: bigint
}
