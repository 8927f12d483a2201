// The AMX path: the AVX-512 path with the large binary GEMMs on AMX-INT8 tile multiplies (Sapphire Rapids and later).
//
// A popcount GEMM on AVX-512 retires one 512-bit XOR + VPOPCNTQ + add per 512 products, about 1.5 to 2 cycles per
// 512 products. AMX's TDPBSSD does 16 x 16 x 64 int8 products in 16 cycles: 1,024 per cycle. So the packed bits stay
// packed in memory and are expanded to int8 just before the tiles take them: a set bit is +1, a clear bit -1 (signed
// operands) or 0 (the unsigned {0,1} operand P of binaryGemmUS). The integer dot products are exact.
//
//   C[m][n] = sum_k A[m][k] * B[n][k]   A (activations): expanded once per call as they are (64 bytes per word)
//                                       B (weights): each task's column block expanded once into the VNNI layout
//                                          TDPBSSD wants for its second tile (tile row r holds k = 4r..4r+3 of 16
//                                          columns side by side): 16 expanded words are a 16 x 16 dword matrix whose
//                                          transpose is the tile, done in registers (64 shuffles per 1 KiB tile)
// A task owns a block of output columns: it expands its weights (kept in L2), then sweeps every 32 rows of A with
// 2 x 2 output tiles. Padding bits (K up to the 64-bit word) are 0 in both packed operands: in signed x signed they
// give (-1)(-1) = +1 each, subtracted once per output; in unsigned x signed they give 0.
//
// Output stages, each equal to the reference to the bit:
//   - floats: bin_out's scale * dot in double, rounded once; the bias added in float32 (finish_row says why that is
//     bin_out's double add); with colScale, bin_out's operations exactly (store16)
//   - packed bits (binaryGemmBits): the output is monotone in the integer dot, so each column's float threshold
//     becomes a threshold on the dot (dotThresholds) and a bit is one integer compare; when that does not hold (a
//     non-finite scale or bias, a colScale) the floats are made and packed with the AVX-512 path's packRow.
//
// Measured on a 2-vCPU Sapphire Rapids VM (bench/engine, BERT-base W1A1, one thread: bench/results/engine-1thread-amx
// against engine-1thread): two runs of this path 20 minutes apart gave 6.5x and 8.6x ORT at batch 1, and 7.1x and
// 10.6x at batch 8; AVX-512 gave 8.6-8.7x and 9.4-9.6x. Expanding the weights costs about what 128 rows repay, and
// AMX throughput there swings 2-3x with the neighbours. So `auto` keeps AVX-512; this is opt-in.
// Small products (the per-head attention GEMMs) stay on the AVX-512 kernels: a 32 x 32 tile block would mostly
// multiply padding there. AMX needs the OS's permission (arch_prctl ARCH_REQ_XCOMP_PERM) once per process, and a tile
// configuration per thread; amx_usable() asks for the first and every task loads the second.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <cstdint>
#include <cmath>
#include <cstring>
#include <vector>
#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "common.h"

#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || __GNUC__ >= 11)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,popcnt,bmi,bmi2,amx-tile,amx-int8"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,popcnt,bmi,bmi2,amx-tile,amx-int8")
#endif

namespace bk {
namespace {

constexpr int64_t TILE = 16;  // rows of a tile, and int32 columns of an output tile
constexpr int64_t KB = 64;    // int8 per tile row: one packed 64-bit word
constexpr int64_t TB = TILE * KB;  // bytes per tile

struct TileConfig {
  uint8_t palette, startRow;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// tiles 0-3: a 2 x 2 block of 16 x 16 int32 outputs; 4, 5: two 16-row slices of A; 6, 7: two 16-column slices of B
void configure_tiles() {
  static thread_local bool configured = false;
  if (configured) return;
  TileConfig c;
  std::memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int t = 0; t < 8; t++) {
    c.rows[t] = TILE;
    c.colsb[t] = KB;
  }
  _tile_loadconfig(&c);
  configured = true;
}

inline uint64_t word(const uint32_t* rows, int64_t row, int64_t W, int64_t w) {
  uint64_t v;
  std::memcpy(&v, rows + (row * W + w) * 2, sizeof v);
  return v;
}

// 64 int8 from one packed word: `one` where the bit is set, `other` where it is clear
inline __m512i expand(uint64_t bits, __m512i one, __m512i other) {
  return _mm512_mask_blend_epi8(static_cast<__mmask64>(bits), other, one);
}

// r[0..15] (16 dwords each) becomes its transpose: r[i] dword j <- r[j] dword i.
inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  // u[4G + c], lane L: rows 4G..4G+3 at column 4L + c
  __m512i u[16];
  for (int G = 0; G < 4; G++) {
    u[4 * G + 0] = _mm512_unpacklo_epi64(t[4 * G], t[4 * G + 2]);
    u[4 * G + 1] = _mm512_unpackhi_epi64(t[4 * G], t[4 * G + 2]);
    u[4 * G + 2] = _mm512_unpacklo_epi64(t[4 * G + 1], t[4 * G + 3]);
    u[4 * G + 3] = _mm512_unpackhi_epi64(t[4 * G + 1], t[4 * G + 3]);
  }
  // column 4L + c = lane L of u[c], u[4 + c], u[8 + c], u[12 + c]: a 4 x 4 transpose of 128-bit lanes
  for (int c = 0; c < 4; c++) {
    const __m512i v0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x44), v1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xEE);
    const __m512i v2 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x44), v3 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xEE);
    r[c] = _mm512_shuffle_i32x4(v0, v2, 0x88);
    r[4 + c] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
    r[8 + c] = _mm512_shuffle_i32x4(v1, v3, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
  }
}

struct AmxGemm {
  bool unsignedP;
  const uint32_t* A;
  const uint32_t* B;
  int64_t M, K, N, W, Kp;
  int64_t padProducts;  // signed x signed: padding positions, each adding +1 to every raw dot
  double scale;
  const float* colScale;
  const float* bias;
  float* C;        // float output, or
  uint32_t* bits;  // packed output (binaryGemmBits): rows of 2*ceil(N/64) uint32
  const float* t;  // per-column float thresholds (packThresholds), or null: thrF
  float thrF;
  int64_t NB;  // output columns per task (a multiple of 64)
  const int32_t* D;  // packed output: per-column raw-dot thresholds (see dotThresholds), or null
  bool rising;       // D is a lower bound (else an upper bound)
  uint8_t* av;       // A expanded: [Mp][Kp] int8, Mp = M rounded up to 32 (rows past M are 0)
};

// Phase 1, one task per 32 rows of A: expand them (64 bytes per packed word), shared by every column task.
void expand_a_task(void* vctx, int64_t t, int) {
  const AmxGemm& g = *static_cast<const AmxGemm*>(vctx);
  const __m512i one = _mm512_set1_epi8(1), other = _mm512_set1_epi8(g.unsignedP ? 0 : -1);
  for (int64_t i = t * 2 * TILE; i < (t + 1) * 2 * TILE; i++) {
    uint8_t* row = g.av + i * g.Kp;
    if (i >= g.M) {
      std::memset(row, 0, static_cast<size_t>(g.Kp));
      continue;
    }
    for (int64_t w = 0; w < g.W; w++) _mm512_store_si512(row + w * KB, expand(word(g.A, i, g.W, w), one, other));
  }
}

// The task's weight columns j0 .. j0+ncp (ncp a multiple of 32; columns past N expand from 0 bits) into
// bv[tile q][word w] = the 1 KiB VNNI tile of columns j0+16q .. +16 and k = 64w .. 64w+63.
void expand_b(const AmxGemm& g, uint8_t* bv, int64_t j0, int64_t ncp) {
  const __m512i one = _mm512_set1_epi8(1), minus = _mm512_set1_epi8(-1);
  for (int64_t q = 0; q < ncp / TILE; q++) {
    for (int64_t w = 0; w < g.W; w++) {
      __m512i r[16];
      for (int i = 0; i < 16; i++) {
        const int64_t j = j0 + q * TILE + i;
        r[i] = expand(j < g.N ? word(g.B, j, g.W, w) : 0, one, minus);
      }
      transpose16(r);
      uint8_t* dst = bv + (q * g.W + w) * TB;
      for (int i = 0; i < 16; i++) _mm512_store_si512(dst + i * KB, r[i]);
    }
  }
}

// Up to 16 outputs from raw int32 dots raw[0..count) for columns n0.. (n0 indexes colScale and bias): bin_out's
// operations (scale * dot, times colScale, rounded to float32 once; the bias added in double and rounded again), 8
// lanes of double at a time.
inline void store16(const AmxGemm& g, const int32_t* raw, float* dst, int64_t n0, int64_t count) {
  const __mmask16 mask = count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
  __m512i d = _mm512_maskz_loadu_epi32(mask, raw);
  d = _mm512_sub_epi32(d, _mm512_set1_epi32(static_cast<int>(g.padProducts)));
  const __m512d scale = _mm512_set1_pd(g.scale);
  __m512d lo = _mm512_mul_pd(scale, _mm512_cvtepi32_pd(_mm512_castsi512_si256(d)));
  __m512d hi = _mm512_mul_pd(scale, _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(d, 1)));
  if (g.colScale != nullptr) {
    const __m512 cs = _mm512_maskz_loadu_ps(mask, g.colScale + n0);
    lo = _mm512_mul_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(cs)));
    hi = _mm512_mul_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(cs), 1))));
  }
  __m256 flo = _mm512_cvtpd_ps(lo), fhi = _mm512_cvtpd_ps(hi);
  if (g.bias != nullptr) {
    const __m512 b = _mm512_maskz_loadu_ps(mask, g.bias + n0);
    flo = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_cvtps_pd(flo), _mm512_cvtps_pd(_mm512_castps512_ps256(b))));
    fhi = _mm512_cvtpd_ps(_mm512_add_pd(_mm512_cvtps_pd(fhi), _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1)))));
  }
  _mm512_mask_storeu_ps(dst, mask, _mm512_insertf32x8(_mm512_castps256_ps512(flo), fhi, 1));
}

const PathOps* base() { return path_avx512(); }

// The output stage of one row of a row block: raw int32 dots of columns n0 .. n0 + cols (colScale and bias indexed by
// n0) to bin_out's floats at dst. Without colScale the bias is added in float32: the sum of two floats rounded to
// double and then to float is the sum rounded to float (53 >= 2 * 24 + 2 bits), so this is bin_out to the bit with
// half its conversions.
inline void finish_row(const AmxGemm& g, const int32_t* raw, float* dst, int64_t n0, int64_t cols) {
  if (g.colScale != nullptr) {
    for (int64_t h = 0; h < cols; h += TILE) store16(g, raw + h, dst + h, n0 + h, cols - h);
    return;
  }
  const __m512i pad = _mm512_set1_epi32(static_cast<int>(g.padProducts));
  const __m512d scale = _mm512_set1_pd(g.scale);
  for (int64_t h = 0; h < cols; h += TILE) {
    const int64_t count = cols - h;
    const __mmask16 mask = count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
    const __m512i d = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(mask, raw + h), pad);
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(scale, _mm512_cvtepi32_pd(_mm512_castsi512_si256(d))));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(scale, _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(d, 1))));
    __m512 v = _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    if (g.bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, g.bias + n0 + h));
    _mm512_mask_storeu_ps(dst + h, mask, v);
  }
}

// Packed output with integer thresholds: bit n = raw dot >= D[n] (or <= D[n] when the output falls as the dot
// rises), for the up-to-32 columns from n0 (a multiple of 32): one uint32 of a packed row, 0 past the columns.
inline uint32_t dot_bits32(const AmxGemm& g, const int32_t* raw, int64_t n0, int64_t cols) {
  uint32_t word = 0;
  for (int64_t q = 0; q < cols; q += TILE) {
    const int64_t count = cols - q;
    const __mmask16 mask = count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
    const __m512i d = _mm512_maskz_loadu_epi32(mask, raw + q), th = _mm512_maskz_loadu_epi32(mask, g.D + n0 + q);
    const __mmask16 bits = g.rising ? _mm512_mask_cmpge_epi32_mask(mask, d, th) : _mm512_mask_cmple_epi32_mask(mask, d, th);
    word |= static_cast<uint32_t>(bits) << q;
  }
  return word;
}

// A 32 x 32 block of stored dots: rows of the row block, columns jt .. jt + cols of the task (cols <= 0: the padding
// half of a last output word, which packed output writes as 0).
struct Block {
  const int32_t* raw;  // [32][32], or null for none
  int64_t rows, jt, cols;
};

// A block's output stage: packed bits (integer thresholds), or floats into C or into the task's float rows.
inline void finish_block(const AmxGemm& g, const Block& b, float* ftile, int64_t i0, int64_t j0, int64_t nc, int64_t ldo) {
  if (b.raw == nullptr) return;
  if (g.D != nullptr) {
    for (int64_t i = 0; i < b.rows; i++) g.bits[(i0 + i) * ldo + (j0 + b.jt) / 32] = dot_bits32(g, b.raw + i * 2 * TILE, j0 + b.jt, b.cols);
  } else if (b.cols > 0) {
    for (int64_t i = 0; i < b.rows; i++)
      finish_row(g, b.raw + i * 2 * TILE, ftile != nullptr ? ftile + i * nc + b.jt : g.C + (i0 + i) * g.N + j0 + b.jt, j0 + b.jt, b.cols);
  }
}

// One task: output columns [j0, j0 + NB) for every row.
void gemm_task(void* vctx, int64_t task, int) {
  const AmxGemm& g = *static_cast<const AmxGemm*>(vctx);
  configure_tiles();
  const int64_t j0 = task * g.NB, nc = g.N - j0 < g.NB ? g.N - j0 : g.NB, ncp = (nc + 63) / 64 * 64;  // whole output words
  const int64_t Kp = g.Kp, W = g.W;
  uint8_t* bv = static_cast<uint8_t*>(thread_scratch(1, static_cast<size_t>(ncp * Kp)));
  int32_t* raws = static_cast<int32_t*>(thread_scratch(0, sizeof(int32_t) * 2 * 4 * TILE * TILE));
  float* ftile = g.bits == nullptr || g.D != nullptr ? nullptr : static_cast<float*>(thread_scratch(3, sizeof(float) * static_cast<size_t>(2 * TILE * nc)));
  expand_b(g, bv, j0, ncp);
  const int64_t ldo = 2 * ((g.N + 63) / 64);  // uint32 per packed output row
  for (int64_t i0 = 0; i0 < g.M; i0 += 2 * TILE) {
    const int64_t rows = g.M - i0 < 2 * TILE ? g.M - i0 : 2 * TILE;
    const uint8_t* av = g.av + i0 * Kp;
    // A block's output stage runs after the next block's tile multiplies are issued: AMX works through them while
    // the vector units finish the previous block from its stored dots (reading a tile store back at once would
    // wait for it to reach the cache).
    Block prev{nullptr, 0, 0, 0};
    for (int64_t jt = 0; jt < ncp; jt += 2 * TILE) {
      const uint8_t* b0 = bv + (jt / TILE) * W * TB;
      const uint8_t* b1 = b0 + W * TB;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t w = 0; w < W; w++) {
        _tile_loadd(4, av + w * KB, Kp);
        _tile_loadd(5, av + TILE * Kp + w * KB, Kp);
        _tile_loadd(6, b0 + w * TB, KB);
        _tile_loadd(7, b1 + w * TB, KB);
        _tile_dpbssd(0, 4, 6);
        _tile_dpbssd(1, 4, 7);
        _tile_dpbssd(2, 5, 6);
        _tile_dpbssd(3, 5, 7);
      }
      finish_block(g, prev, ftile, i0, j0, nc, ldo);
      // the four tiles in place: [32][32] int32, alternating between two buffers
      int32_t* raw = raws + ((jt / (2 * TILE)) & 1) * 4 * TILE * TILE;
      _tile_stored(0, raw, 2 * TILE * 4);
      _tile_stored(1, raw + TILE, 2 * TILE * 4);
      _tile_stored(2, raw + TILE * 2 * TILE, 2 * TILE * 4);
      _tile_stored(3, raw + TILE * 2 * TILE + TILE, 2 * TILE * 4);
      prev = Block{raw, rows, jt, nc - jt < 2 * TILE ? nc - jt : 2 * TILE};
    }
    finish_block(g, prev, ftile, i0, j0, nc, ldo);
    if (ftile != nullptr)
      for (int64_t i = 0; i < rows; i++)
        base()->packRow(g.bits + (i0 + i) * ldo + j0 / 32, ftile + i * nc, g.t == nullptr ? nullptr : g.t + j0, g.thrF, nc);
  }
}

// Whether a product goes to the tiles: big enough that 32 x 32 blocks are mostly real work.
bool worth_tiles(int64_t M, int64_t K, int64_t N) {
  return M >= 2 * TILE && N >= 2 * TILE && K >= 64 && static_cast<double>(M) * static_cast<double>(N) * static_cast<double>((K + 63) / 64) >= 65536.0;
}

void amx_one(bool unsignedP, float* C, uint32_t* bits, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K,
             int64_t N, double scale, const float* colScale, const float* bias, const float* t, float thrF, int threads) {
  AmxGemm g;
  g.unsignedP = unsignedP;
  g.A = A;
  g.B = B;
  g.M = M;
  g.K = K;
  g.N = N;
  g.W = (K + 63) / 64;
  g.Kp = g.W * KB;
  g.padProducts = unsignedP ? 0 : g.W * 64 - K;
  g.scale = scale;
  g.colScale = colScale;
  g.bias = bias;
  g.C = C;
  g.bits = bits;
  g.t = t;
  g.thrF = thrF;
  std::vector<int32_t> D;
  g.D = nullptr;
  g.rising = true;
  if (bits != nullptr && colScale == nullptr && dotThresholds(D, g.rising, scale, g.Kp, g.padProducts, bias, N, t, thrF, N))
    g.D = D.data();
  // column blocks of whole 64-column words (packed output), about two per thread, each block's expanded weights
  // within ~512 KiB of L2
  const int64_t maxNB = 512 * 1024 / g.Kp / 64 * 64;
  int64_t nb = (N + 2 * threads - 1) / (2 * threads);
  nb = (nb + 63) / 64 * 64;
  if (nb > maxNB) nb = maxNB;
  if (nb < 64) nb = 64;
  g.NB = nb;
  const int64_t rowBlocks = (M + 2 * TILE - 1) / (2 * TILE);
  g.av = static_cast<uint8_t*>(thread_scratch(2, static_cast<size_t>(rowBlocks * 2 * TILE * g.Kp)));
  parallel_tasks(threads, rowBlocks, expand_a_task, &g);
  parallel_tasks(threads, (N + nb - 1) / nb, gemm_task, &g);
}

void amx_binary_gemm(bool unsignedP, float* C, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K, int64_t N,
                     double scale, const float* colScale, const float* bias, int64_t batch, int threads) {
  if (batch <= 0 || M == 0 || N == 0) return;
  if (!worth_tiles(M, K, N)) {
    base()->binaryGemm(unsignedP, C, A, B, M, K, N, scale, colScale, bias, batch, threads);
    return;
  }
  const int64_t u32 = 2 * ((K + 63) / 64);
  for (int64_t i = 0; i < batch; i++)
    amx_one(unsignedP, C + i * M * N, nullptr, A + i * M * u32, B + i * N * u32, M, K, N, scale, colScale, bias, nullptr,
            0, threads);
}

void amx_binary_gemm_bits(bool unsignedP, uint32_t* out, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K,
                          int64_t N, double scale, const float* colScale, const float* bias, const float* shift,
                          double thr, int64_t batch, int64_t shiftRows, int threads) {
  if (batch <= 0 || M == 0 || N == 0) return;
  if (!worth_tiles(M, K, N)) {
    base()->binaryGemmBits(unsignedP, out, A, B, M, K, N, scale, colScale, bias, shift, thr, batch, shiftRows, threads);
    return;
  }
  // the shift's float thresholds once for every product (as the shared driver does)
  const std::vector<float> tv = packThresholds(shift, thr, shiftRows * N);
  const float thrF = floatAtLeast(thr);
  const int64_t u32 = 2 * ((K + 63) / 64), o32 = 2 * ((N + 63) / 64);
  for (int64_t i = 0; i < batch; i++)
    amx_one(unsignedP, nullptr, out + i * M * o32, A + i * M * u32, B + i * N * u32, M, K, N, scale, colScale, bias,
            tv.empty() ? nullptr : tv.data() + (i % shiftRows) * N, thrF, threads);
}

}  // namespace

bool amx_usable() {
  // Linux grants the AMX tile data state per process on request (kernel 5.16+); without it the first tile
  // instruction would fault.
  static const bool ok = [] {
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return ok;
}

const PathOps* path_amx() {
  static const PathOps ops = [] {
    PathOps o = *path_avx512();
    o.name = "amx";
    o.binaryGemm = amx_binary_gemm;
    o.binaryGemmBits = amx_binary_gemm_bits;
    return o;
  }();
  return path_avx512() == nullptr ? nullptr : &ops;
}

}  // namespace bk

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
namespace bk {
bool amx_usable() { return false; }
const PathOps* path_amx() { return nullptr; }
}  // namespace bk
#endif
