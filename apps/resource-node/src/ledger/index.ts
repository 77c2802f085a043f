export { LEDGER_MIGRATIONS, LedgerSchemaError, migrateLedger, schemaVersion } from './ledger-schema.js'
export {
  createOzoneLedger,
  type OzoneLedger,
  type OzoneLedgerComponents,
  type OzoneLedgerInit,
  refundEffect,
} from './ozone-ledger.js'
export type { CreditedPayment, OzoneLedgerStore, PrepayEffect, RefundEffect } from './ozone-ledger-store.js'
export {
  LEDGER_FILE,
  LedgerClosedError,
  openSqliteLedgerStore,
  type SqliteLedgerStoreInit,
} from './sqlite-ledger-store.js'
