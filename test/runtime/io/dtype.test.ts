import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bf16ToF32, decodeBf16, decodeF16, encodeBf16, encodeF16, f16ToF32, f32Bits, f32FromBits, f32ToBf16, f32ToF16,
} from '../../../runtime/io/dtype.js';
import { Rng } from '../../../runtime/util/rng.js';

const hex = (h: number) => '0x' + h.toString(16).toUpperCase().padStart(4, '0');

test('f32ToF16 matches hand-checked bit patterns', () => {
  const cases: [number, number][] = [
    [1.0, 0x3c00], [-2.0, 0xc000], [0.5, 0x3800], [0.1, 0x2e66], [1 / 3, 0x3555],
    [65504, 0x7bff],             // largest finite
    [65519, 0x7bff],             // just below the halfway point to 65536: stays finite
    [65520, 0x7c00],             // halfway between 65504 and 65536 -> ties to even -> Inf
    [2 ** -14, 0x0400],          // smallest normal
    [2 ** -24, 0x0001],          // smallest subnormal
    [2 ** -25, 0x0000],          // half a unit: tie -> even (zero)
    [1.5 * 2 ** -25, 0x0001],    // above half a unit
    [3 * 2 ** -25, 0x0002],      // 1.5 units: tie -> even (2)
    [5 * 2 ** -25, 0x0002],      // 2.5 units: tie -> even (2)
    [2 ** -14 - 2 ** -25, 0x0400], // 1023.5 units: tie -> 1024 = smallest normal (carry into the exponent)
    [1 + 2 ** -11, 0x3c00],      // tie between 1 and 1+2^-10 -> even
    [1 + 3 * 2 ** -11, 0x3c02],  // tie between 0x3C01 and 0x3C02 -> even
    [2049, 0x6800], [2051, 0x6802],
    [1e-10, 0x0000], [-1e-10, 0x8000], [1e10, 0x7c00], [-1e10, 0xfc00],
    [0, 0x0000], [-0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    [f32FromBits(1), 0x0000],    // float32 subnormal
  ];
  for (const [x, want] of cases) assert.equal(hex(f32ToF16(x)), hex(want), `f32ToF16(${x})`);
  const nan = f32ToF16(NaN);
  assert.equal(nan & 0x7c00, 0x7c00, 'NaN exponent');
  assert.notEqual(nan & 0x3ff, 0, 'NaN mantissa must be non-zero');
});

test('f16ToF32 decodes hand-checked patterns exactly', () => {
  const cases: [number, number][] = [
    [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14],
    [0x3555, 0.333251953125], [0x7c00, Infinity], [0xfc00, -Infinity], [0x0000, 0],
  ];
  for (const [h, want] of cases) assert.equal(f16ToF32(h), want, `f16ToF32(${hex(h)})`);
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Number.isNaN(f16ToF32(0xfc01)));
});

test('every F16 value round-trips through float32', () => {
  for (let h = 0; h < 65536; h++) {
    const isNaN16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN16) assert.ok(Number.isNaN(f16ToF32(h)));
    else if (f32ToF16(f16ToF32(h)) !== h) assert.fail(`${hex(h)} -> ${f16ToF32(h)} -> ${hex(f32ToF16(f16ToF32(h)))}`);
  }
});

test('f32ToF16 picks the nearest F16, ties to even (checked against the neighbours)', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 20000; i++) {
    // Random float32 bit patterns across the F16 range (exponents 2^-26 .. 2^16), both signs.
    const exp = 101 + rng.int(42);
    const bits = ((rng.int(2) << 31) | (exp << 23) | rng.int(1 << 23)) >>> 0;
    const x = f32FromBits(bits);
    const h = f32ToF16(x);
    const got = f16ToF32(h);
    if (!Number.isFinite(got)) {
      assert.ok(Math.abs(x) >= 65520, `${x} overflowed to ${got}`);
      continue;
    }
    const err = Math.abs(x - got);
    for (const n of [h - 1, h + 1]) {
      if ((n & 0x7fff) === 0x7fff || n < 0 || n > 0xffff) continue;
      const other = f16ToF32(n);
      if (!Number.isFinite(other) || Math.sign(other) !== Math.sign(got) && other !== 0) continue;
      const e2 = Math.abs(x - other);
      assert.ok(err < e2 || (err === e2 && (h & 1) === 0), `${x}: chose ${hex(h)} (${got}) over ${hex(n)} (${other})`);
    }
  }
});

test('f32ToBf16 / bf16ToF32 match hand-checked bit patterns', () => {
  assert.equal(hex(f32ToBf16(1.0)), '0x3F80');
  assert.equal(hex(f32ToBf16(-2.0)), '0xC000');
  assert.equal(hex(f32ToBf16(Math.PI)), '0x4049');               // 0x40490FDB: rest below half
  assert.equal(hex(f32ToBf16(f32FromBits(0x3f808000))), '0x3F80'); // tie, even stays
  assert.equal(hex(f32ToBf16(f32FromBits(0x3f818000))), '0x3F82'); // tie, odd rounds up
  assert.equal(hex(f32ToBf16(f32FromBits(0x3f808001))), '0x3F81'); // above half
  assert.equal(hex(f32ToBf16(f32FromBits(0x7f7fffff))), '0x7F80'); // max float32 rounds to Inf
  assert.equal(hex(f32ToBf16(-Infinity)), '0xFF80');
  assert.equal(hex(f32ToBf16(-0)), '0x8000');
  // NaN with every mantissa bit set: blind rounding would carry into the sign bit and give -0.
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(f32FromBits(0x7fffffff)))));
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc049), -3.140625);
  assert.equal(f32Bits(bf16ToF32(0x0001)), 0x00010000);
});

test('byte encoders and decoders are little-endian and agree with the scalar functions', () => {
  const src = new Float32Array([1, -2, 65504, 2 ** -24, 0.1, Infinity]);
  const f16 = encodeF16(src);
  assert.deepEqual([...f16.subarray(0, 4)], [0x00, 0x3c, 0x00, 0xc0]);
  const back = new Float32Array(src.length);
  decodeF16(f16, back);
  assert.deepEqual([...back], [...src].map((x) => f16ToF32(f32ToF16(x))));
  const bf = encodeBf16(src);
  assert.deepEqual([...bf.subarray(0, 2)], [0x80, 0x3f]);
  const back2 = new Float32Array(src.length);
  decodeBf16(bf, back2);
  assert.deepEqual([...back2], [...src].map((x) => bf16ToF32(f32ToBf16(x))));
});
