/**
 * The few `TrafficRewards` calls a light node makes, encoded by hand (four ABI words and a proof array)
 * so the worker needs no contract library to plan claims or read a balance.
 */
import { concatBytes, fromHex, keccak256, toHex } from '@stratos-edge/core'

const utf8 = new TextEncoder()
const selector = (signature: string): Uint8Array => keccak256(utf8.encode(signature)).subarray(0, 4)

function word(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = value
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

const addressWord = (address: string): Uint8Array => word(BigInt(address))

/**
 * Call data of `claim(uint64 epoch, address account, uint256 amount, bytes32[] proof)`.
 *
 * @example
 * ```ts
 * const data = encodeClaimCall({ epoch: 3, account, amount: 10n ** 18n, proof })
 * ```
 */
export function encodeClaimCall(c: {
  epoch: number
  account: string
  amount: bigint
  proof: readonly string[]
}): `0x${string}` {
  return toHex(
    concatBytes(
      selector('claim(uint64,address,uint256,bytes32[])'),
      word(BigInt(c.epoch)),
      addressWord(c.account),
      word(c.amount),
      word(128n),
      word(BigInt(c.proof.length)),
      ...c.proof.map((p) => fromHex(p)),
    ),
  )
}

/** An `eth_call` over JSON-RPC; the answer's bytes. */
async function ethCall(
  rpcUrl: string,
  to: string,
  data: Uint8Array,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [{ to, data: toHex(data) }, 'latest'],
    }),
    signal: signal ?? AbortSignal.timeout(10_000),
  })
  const body = (await res.json()) as { result?: string; error?: { message?: string } }
  if (typeof body.result !== 'string')
    throw new Error(`eth_call failed: ${body.error?.message ?? res.status}`)
  return fromHex(body.result)
}

/**
 * The STOS balance of `account`: the token `TrafficRewards` pays out (`token()`), then its `balanceOf`.
 *
 * @example
 * ```ts
 * const wei = await rewardTokenBalance('http://127.0.0.1:8545', trafficRewards, account)
 * ```
 */
export async function rewardTokenBalance(
  rpcUrl: string,
  trafficRewards: string,
  account: string,
): Promise<bigint> {
  const token = toHex((await ethCall(rpcUrl, trafficRewards, selector('token()'))).subarray(12, 32))
  const balance = await ethCall(
    rpcUrl,
    token,
    concatBytes(selector('balanceOf(address)'), addressWord(account)),
  )
  return BigInt(toHex(balance))
}
