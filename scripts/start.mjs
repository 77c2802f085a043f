// `npm start`: starts the local network with its defaults and prints what it started.
// Services are added here as they land; each is optional so a partial checkout still starts.
import { computeFileHash, formatSdmUri, keyPairFromMnemonic } from '@stratos-edge/core'

const demo = keyPairFromMnemonic('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about')
const hash = computeFileHash(new TextEncoder().encode('hello stratos'))
console.log('stratos-edge: core self-check')
console.log(`  file hash of "hello stratos": ${hash}`)
console.log(`  demo owner: ${demo.address} (${demo.evmAddress})`)
console.log(`  uri: ${formatSdmUri(demo.address, hash)}`)
