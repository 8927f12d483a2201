/**
 * Conversions between float32 and the 16-bit float formats found in checkpoints.
 *
 *   F16 (IEEE 754 binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits. Max finite 65504 = 0x7BFF, smallest
 *       subnormal 2^-24 = 0x0001, 1.0 = 0x3C00.
 *   BF16 (bfloat16): the top 16 bits of a float32: 1 sign, 8 exponent (bias 127), 7 mantissa bits. 1.0 = 0x3F80.
 *
 * float32 -> 16 bit rounds to nearest, ties to even; values too large become +-Inf (F16 overflow above 65520),
 * values too small become +-0, NaN stays NaN (quiet, top payload bits kept). 16 bit -> float32 is exact.
 * Arguments are float32 values; a JS number that is not one is first rounded to float32 (Math.fround), so pass
 * Float32Array elements to get a single rounding. Bytes are little-endian, as in safetensors.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of the float32 nearest to x. */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 with the given bits. */
export function f32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** float32 -> F16 bits (0..0xFFFF), round to nearest even. */
export function f32ToF16(x: number): number {
  const b = f32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // Inf / quiet NaN
  const e = exp - 127 + 15; // F16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e >= 1) {
    // Normal: drop 13 mantissa bits; a carry out of the mantissa correctly bumps the exponent (up to Inf).
    let h = sign | (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return h;
  }
  // Subnormal F16 (or zero): the value in units of 2^-24 is m * 2^-shift, m = 1.mant as a 24-bit integer.
  // shift >= 25 means the value is below half a unit (m < 2^24): rounds to zero. float32 subnormals land here too.
  const shift = 14 - e;
  if (shift >= 25) return sign;
  const m = mant | 0x800000;
  let q = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++; // q may reach 0x400: the smallest normal, still correct
  return sign | q;
}

let f16Table: Float32Array | null = null;

/** All 65536 F16 values as float32 (built on first use, 256 KiB). */
function f16ToF32Table(): Float32Array {
  if (f16Table !== null) return f16Table;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = (sign ? -1 : 1) * m * 2 ** -24; // zero and subnormals, exact
    else if (e === 0x1f) bits[h] = (sign | 0x7f800000 | (m << 13)) >>> 0; // Inf / NaN with payload
    else bits[h] = (sign | ((e - 15 + 127) << 23) | (m << 13)) >>> 0;
  }
  f16Table = t;
  return t;
}

/** F16 bits -> float32 value (exact). */
export function f16ToF32(h: number): number {
  return f16ToF32Table()[h & 0xffff];
}

/** float32 -> BF16 bits (0..0xFFFF), round to nearest even. */
export function f32ToBf16(x: number): number {
  const b = f32Bits(x);
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40; // quiet NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) / 65536) & 0xffff; // no overflow past 2^32: b <= 0xFF800000 here
}

/** BF16 bits -> float32 value (exact). */
export function bf16ToF32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/** Decode little-endian F16 bytes into out (out.length values from 2 * out.length bytes). */
export function decodeF16(bytes: Uint8Array, out: Float32Array): void {
  const t = f16ToF32Table();
  for (let i = 0; i < out.length; i++) out[i] = t[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
}

/** Decode little-endian BF16 bytes into out. */
export function decodeBf16(bytes: Uint8Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < out.length; i++) bits[i] = ((bytes[2 * i] << 16) | (bytes[2 * i + 1] << 24)) >>> 0;
}

/** Encode float32 values as little-endian F16 bytes (2 * src.length bytes). */
export function encodeF16(src: Float32Array): Uint8Array {
  const out = new Uint8Array(2 * src.length);
  for (let i = 0; i < src.length; i++) {
    const h = f32ToF16(src[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** Encode float32 values as little-endian BF16 bytes (2 * src.length bytes). */
export function encodeBf16(src: Float32Array): Uint8Array {
  const out = new Uint8Array(2 * src.length);
  for (let i = 0; i < src.length; i++) {
    const h = f32ToBf16(src[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}
