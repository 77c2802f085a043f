/**
 * @packageDocumentation
 * The meta service's ozone ledger: Polygon `StoragePayments` prepayments credited to their
 * beneficiaries' ozone exactly once, after N confirmations, in `node:sqlite` in the data directory.
 *
 * @example
 * ```ts
 * const store = openSqliteLedgerStore({ dataDir, initialMarket })
 * const ledger = createOzoneLedger({ storagePayments, chainId, confirmations: 64, fromBlock }, { provider, store, logger })
 * ledger.start()
 * const ozone = await ledger.balance(owner)
 * ```
 */
export { LEDGER_MIGRATIONS, LedgerSchemaError, migrateLedger, schemaVersion } from './ledger-schema.js'
export {
  createOzoneLedger,
  type OzoneLedger,
  type OzoneLedgerComponents,
  type OzoneLedgerInit,
  refundEffect,
} from './ozone-ledger.js'
export type {
  CreditedPayment,
  LiveDownload,
  OzoneLedgerStore,
  PrepayEffect,
  RefundEffect,
} from './ozone-ledger-store.js'
export {
  LEDGER_FILE,
  LedgerClosedError,
  openSqliteLedgerStore,
  type SqliteLedgerStoreInit,
} from './sqlite-ledger-store.js'
