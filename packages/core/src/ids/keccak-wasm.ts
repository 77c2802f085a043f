/**
 * Keccak-256 absorption in WebAssembly, written out as module bytes when first used (about 1.6 KiB, no
 * binary in the repository, no fetch).
 *
 * Why our own: the state lives in 25 WebAssembly locals for a whole call, and theta, rho, pi and chi run
 * as one pass per round (rho and pi only rename lanes). The general-purpose WASM build we used before
 * (hash-wasm) keeps the state in linear memory and runs each step as its own pass; on these machines
 * this one hashes about 1.3 times as fast in Node 22 (`npm run bench -- core-hash`) and 1.15 times in a
 * Chromium worker. One round per loop iteration: unrolling all 24 measured slower in both, and unrolling
 * 2–4 rounds was slower in Node and only ~5% faster in Chromium.
 *
 * Memory layout of the module (one 64 KiB page):
 * - {@link ROUND_CONSTANTS_AT}: the 24 iota constants (a data segment);
 * - {@link STATE_AT}: the 25 lanes, little-endian, as the sponge state;
 * - {@link INPUT_AT} on: whole 136-byte blocks to absorb.
 *
 * Export `absorb(blocks)`: XOR each block into the rate (17 lanes) and apply Keccak-f[1600].
 */

/** Keccak-256's rate: 1088 bits (capacity 512). */
export const KECCAK256_RATE = 136
const ROUND_CONSTANTS_AT = 0
export const STATE_AT = 192
export const INPUT_AT = 512
/** Whole blocks that fit in the module's memory after {@link INPUT_AT}. */
export const INPUT_BLOCKS = Math.floor((65536 - INPUT_AT) / KECCAK256_RATE)

const ROUND_CONSTANTS = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
]

/** rho: rotation of lane x + 5y. */
const ROTATIONS = [
  0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
]

// The few WebAssembly opcodes used (binary format, spec section 5.4).
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
} as const
const I32 = 0x7f
const I64 = 0x7e
const VOID_BLOCK = 0x40
const ALIGN_8 = 3

function unsignedLeb(n: number): number[] {
  const out: number[] = []
  do {
    const low = n & 0x7f
    n >>>= 7
    out.push(n === 0 ? low : low | 0x80)
  } while (n !== 0)
  return out
}

function signedLeb(value: bigint): number[] {
  let v = BigInt.asIntN(64, value)
  const out: number[] = []
  for (;;) {
    const low = Number(v & 0x7fn)
    v >>= 7n
    const signBitClear = (low & 0x40) === 0
    if ((v === 0n && signBitClear) || (v === -1n && !signBitClear)) return [...out, low]
    out.push(low | 0x80)
  }
}

const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body]
const utf8Name = (s: string): number[] => vector([...new TextEncoder().encode(s)].map((b) => [b]))

/** The body of `absorb(blocks: i32)`. */
function absorbBody(): number[] {
  // Locals: 0 = blocks (param); then i32 input pointer and round-constant pointer; then i64 lanes.
  const BLOCKS = 0
  const INPUT = 1
  const ROUND = 2
  const a = (i: number) => 3 + i // state lanes
  const b = (i: number) => 28 + i // lanes after theta, rho and pi
  const c = (x: number) => 53 + x // column parities
  const d = (x: number) => 58 + x // theta's per-column term
  const code: number[] = []
  const get = (l: number) => code.push(op.localGet, ...unsignedLeb(l))
  const set = (l: number) => code.push(op.localSet, ...unsignedLeb(l))
  const i64 = (v: bigint) => code.push(op.i64Const, ...signedLeb(v))
  const i32 = (v: number) => code.push(op.i32Const, ...signedLeb(BigInt(v)))
  const load = (offset: number) => code.push(op.i64Load, ALIGN_8, ...unsignedLeb(offset))
  const x5 = (x: number) => ((x % 5) + 5) % 5

  for (let i = 0; i < 25; i++) {
    i32(0)
    load(STATE_AT + 8 * i)
    set(a(i))
  }
  i32(INPUT_AT)
  set(INPUT)
  code.push(op.block, VOID_BLOCK)
  get(BLOCKS)
  code.push(op.i32Eqz, op.brIf, 0)
  code.push(op.loop, VOID_BLOCK) // one block per iteration
  for (let i = 0; i < KECCAK256_RATE / 8; i++) {
    get(a(i))
    get(INPUT)
    load(8 * i)
    code.push(op.i64Xor)
    set(a(i))
  }
  i32(ROUND_CONSTANTS_AT)
  set(ROUND)
  code.push(op.loop, VOID_BLOCK) // one round per iteration
  // theta: column parities, and each column's term from its neighbours
  for (let x = 0; x < 5; x++) {
    get(a(x))
    for (let y = 1; y < 5; y++) {
      get(a(x + 5 * y))
      code.push(op.i64Xor)
    }
    set(c(x))
  }
  for (let x = 0; x < 5; x++) {
    get(c(x5(x - 1)))
    get(c(x5(x + 1)))
    i64(1n)
    code.push(op.i64Rotl, op.i64Xor)
    set(d(x))
  }
  // theta applied, rho rotates, pi moves lane (x, y) to (y, 2x + 3y)
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const lane = x + 5 * y
      get(a(lane))
      get(d(x))
      code.push(op.i64Xor)
      if (ROTATIONS[lane]) {
        i64(BigInt(ROTATIONS[lane] as number))
        code.push(op.i64Rotl)
      }
      set(b(y + 5 * x5(2 * x + 3 * y)))
    }
  }
  // chi: a = b ^ (~b[x+1] & b[x+2]) along each row
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(b(x + 5 * y))
      get(b(x5(x + 1) + 5 * y))
      i64(-1n)
      code.push(op.i64Xor)
      get(b(x5(x + 2) + 5 * y))
      code.push(op.i64And, op.i64Xor)
      set(a(x + 5 * y))
    }
  }
  // iota
  get(a(0))
  get(ROUND)
  load(0)
  code.push(op.i64Xor)
  set(a(0))
  get(ROUND)
  i32(8)
  code.push(op.i32Add, op.localTee, ...unsignedLeb(ROUND))
  i32(ROUND_CONSTANTS_AT + 8 * ROUND_CONSTANTS.length)
  code.push(op.i32LtU, op.brIf, 0, op.end)
  // next block
  get(INPUT)
  i32(KECCAK256_RATE)
  code.push(op.i32Add)
  set(INPUT)
  get(BLOCKS)
  i32(1)
  code.push(op.i32Sub, op.localTee, ...unsignedLeb(BLOCKS), op.brIf, 0, op.end, op.end)
  for (let i = 0; i < 25; i++) {
    i32(0)
    get(a(i))
    code.push(op.i64Store, ALIGN_8, ...unsignedLeb(STATE_AT + 8 * i))
  }
  code.push(op.end)
  const locals = vector([
    [2, I32],
    [60, I64],
  ])
  return [...locals, ...code]
}

/** The module's bytes: one function `absorb`, one exported page of memory holding the round constants. */
export function keccakModuleBytes(): Uint8Array<ArrayBuffer> {
  const constants = new Uint8Array(8 * ROUND_CONSTANTS.length)
  const view = new DataView(constants.buffer)
  for (const [i, rc] of ROUND_CONSTANTS.entries()) view.setBigUint64(8 * i, rc, true)
  const body = absorbBody()
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector([[0x60, 1, I32, 0]])), // type: (i32) -> ()
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, 1]])), // memory: 1 page, no maximum
    ...section(
      7,
      vector([
        [...utf8Name('absorb'), 0x00, 0],
        [...utf8Name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vector([[...unsignedLeb(body.length), ...body]])),
    ...section(
      11,
      vector([
        [
          0x00,
          op.i32Const,
          ...signedLeb(BigInt(ROUND_CONSTANTS_AT)),
          op.end,
          ...vector([...constants].map((v) => [v])),
        ],
      ]),
    ),
  ])
}

let compiled: Promise<WebAssembly.Module> | undefined

/** Compiles the module once per realm; each stream instantiates its own memory from it. */
export function keccakModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(keccakModuleBytes())
  compiled.catch(() => {
    compiled = undefined
  })
  return compiled
}
