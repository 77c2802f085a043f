/**
 * @packageDocumentation
 * Node-only parts of `@stratos-edge/polygon-bridge`: the JSON-file store for the payment watcher.
 *
 * @example
 * ```ts
 * import { createJsonFileWatcherStore } from '@stratos-edge/polygon-bridge/node'
 * const store = createJsonFileWatcherStore('./data/payments.json')
 * ```
 */
export { createJsonFileWatcherStore } from './json-file-store.js'
