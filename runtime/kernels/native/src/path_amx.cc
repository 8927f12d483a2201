// The AMX path: the AVX-512 path with the binary GEMMs on AMX-INT8 tile multiplies (Sapphire Rapids and later).
//
// A popcount GEMM on AVX-512 retires one 512-bit XOR + VPOPCNTQ + add per 512 products, about 1.5 cycles per
// 512 products on two vector ports. AMX's TDPBSSD does 16 x 16 x 64 int8 products in 16 cycles: 1,024 per cycle.
// So the packed bits stay packed in memory and are expanded to int8 in registers just before the tiles take them:
// a set bit is +1, a clear bit -1 (signed sets) or 0 (the unsigned {0,1} operand P of binaryGemmUS). The integer
// dot products are exact and the output stage is bin_out's (scale, colScale, bias in double), so the results are
// the reference's to the bit.
//
//   D[p][q] = sum_k X[p][k] * Y[q][k]   X: "row" operand, rows expanded as they are (64 bytes per 64-bit word)
//                                       Y: "column" operand, expanded into the VNNI layout TDPBSSD wants for its
//                                          second tile (row r holds k = 4r..4r+3 of 16 columns side by side)
// The smaller of A (M rows) and B (N rows) is the column operand, since its re-layout costs more per row; D is C or
// C transposed. Padding bits (K up to the 64-bit word) are 0 in both packed operands: in signed x signed they give
// (-1)(-1) = +1 each, subtracted once per output; in unsigned x signed they give 0.
//
// AMX needs the OS's permission (arch_prctl ARCH_REQ_XCOMP_PERM) once per process, and a tile configuration per
// thread; amx_usable() asks for the first and every task loads the second.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <cstdint>
#include <cstring>
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

struct TileConfig {
  uint8_t palette, startRow;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// tiles 0-3: a 2 x 2 block of 16 x 16 int32 outputs; 4, 5: two 16-row slices of X; 6, 7: two 16-column slices of Y
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

struct Operand {
  const uint32_t* bits;
  int64_t rows;
  bool zeroOne;  // {0, 1} bytes (binaryGemmUS's P) rather than {-1, +1}
};

struct AmxCtx {
  Operand x, y;
  bool transposed;  // D = C^T (X is B, Y is A)
  int64_t W, Xp, Yp;
  int64_t padProducts;  // signed x signed: padding positions, each adding +1 to every raw dot
  const uint8_t* yv;    // Y expanded: [Yp/16][W][16 rows][64 bytes]
  float* C;
  int64_t N;
  double scale;
  const float* colScale;
  const float* bias;
};

// Phase 1, one task per 16 columns of Y: expand them into the VNNI layout (dword r of column q = k 4r..4r+3).
void expand_y_task(void* vctx, int64_t qb, int) {
  const AmxCtx& g = *static_cast<const AmxCtx*>(vctx);
  const __m512i one = _mm512_set1_epi8(1), other = _mm512_set1_epi8(g.y.zeroOne ? 0 : -1);
  const __m512i rowOffsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(static_cast<int>(KB)));
  uint8_t* block = const_cast<uint8_t*>(g.yv) + qb * g.W * TILE * KB;
  if ((qb + 1) * TILE > g.y.rows) std::memset(block, 0, static_cast<size_t>(g.W * TILE * KB));
  for (int64_t j = 0; j < TILE; j++) {
    const int64_t q = qb * TILE + j;
    if (q >= g.y.rows) break;
    for (int64_t w = 0; w < g.W; w++) {
      const __m512i v = expand(word(g.y.bits, q, g.W, w), one, other);
      _mm512_i32scatter_epi32(block + w * TILE * KB + j * 4, rowOffsets, v, 1);
    }
  }
}

// Up to 16 outputs C[m, n0 .. n0+count) from raw int32 dots at raw[0], raw[stride], ...: bin_out's operations
// (scale * dot, times colScale, rounded to float32 once; the bias added in double and rounded again), 8 lanes of
// double at a time.
inline void store16(const AmxCtx& g, const int32_t* raw, int64_t stride, int64_t m, int64_t n0, int64_t count) {
  const __mmask16 mask = count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
  __m512i d;
  if (stride == 1) {
    d = _mm512_maskz_loadu_epi32(mask, raw);
  } else {
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(stride)));
    d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, idx, raw, 4);
  }
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
  _mm512_mask_storeu_ps(g.C + m * g.N + n0, mask, _mm512_insertf32x8(_mm512_castps256_ps512(flo), fhi, 1));
}

// Phase 2, one task per 32 rows of X: expand them, then sweep every 32 columns of Y with 2 x 2 output tiles.
void compute_task(void* vctx, int64_t pb, int) {
  const AmxCtx& g = *static_cast<const AmxCtx*>(vctx);
  configure_tiles();
  const int64_t Kp = g.W * KB;
  uint8_t* xv = static_cast<uint8_t*>(thread_scratch(2, static_cast<size_t>(2 * TILE * Kp)));
  int32_t* out = static_cast<int32_t*>(thread_scratch(0, sizeof(int32_t) * 4 * TILE * TILE));
  const __m512i one = _mm512_set1_epi8(1), other = _mm512_set1_epi8(g.x.zeroOne ? 0 : -1);
  const int64_t p0 = pb * 2 * TILE;
  for (int64_t i = 0; i < 2 * TILE; i++) {
    uint8_t* row = xv + i * Kp;
    if (p0 + i >= g.x.rows) {
      std::memset(row, 0, static_cast<size_t>(Kp));
      continue;
    }
    for (int64_t w = 0; w < g.W; w++) _mm512_storeu_si512(row + w * KB, expand(word(g.x.bits, p0 + i, g.W, w), one, other));
  }
  const int64_t yTiles = g.Yp / TILE;
  for (int64_t qt = 0; qt < yTiles; qt += 2) {
    const uint8_t* y0 = g.yv + qt * g.W * TILE * KB;
    const uint8_t* y1 = y0 + g.W * TILE * KB;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t w = 0; w < g.W; w++) {
      _tile_loadd(4, xv + w * KB, Kp);
      _tile_loadd(5, xv + TILE * Kp + w * KB, Kp);
      _tile_loadd(6, y0 + w * TILE * KB, KB);
      _tile_loadd(7, y1 + w * TILE * KB, KB);
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(1, 4, 7);
      _tile_dpbssd(2, 5, 6);
      _tile_dpbssd(3, 5, 7);
    }
    // out: [32][32] int32, the four tiles in place
    _tile_stored(0, out, 2 * TILE * 4);
    _tile_stored(1, out + TILE, 2 * TILE * 4);
    _tile_stored(2, out + TILE * 2 * TILE, 2 * TILE * 4);
    _tile_stored(3, out + TILE * 2 * TILE + TILE, 2 * TILE * 4);
    const int64_t q0 = qt * TILE;
    const int64_t rows = g.x.rows - p0 < 2 * TILE ? g.x.rows - p0 : 2 * TILE;
    const int64_t cols = g.y.rows - q0 < 2 * TILE ? g.y.rows - q0 : 2 * TILE;
    if (!g.transposed) {
      for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j += TILE)
          store16(g, out + i * 2 * TILE + j, 1, p0 + i, q0 + j, cols - j);
    } else {
      // D = C^T: output row m = q0 + j takes column j of the block (a strided read of the 32 x 32 scratch)
      for (int64_t j = 0; j < cols; j++)
        for (int64_t i = 0; i < rows; i += TILE)
          store16(g, out + i * 2 * TILE + j, 2 * TILE, q0 + j, p0 + i, rows - i);
    }
  }
}

const PathOps* base() { return path_avx512(); }

void amx_one(bool unsignedP, float* C, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K, int64_t N, double scale,
             const float* colScale, const float* bias, int threads) {
  // Tiny products: the 32 x 32 blocking would mostly multiply padding; the popcount kernel does them.
  if (M < TILE || N < TILE || K == 0) {
    base()->binaryGemm(unsignedP, C, A, B, M, K, N, scale, colScale, bias, 1, threads);
    return;
  }
  AmxCtx g;
  g.W = (K + 63) / 64;
  const Operand a{A, M, unsignedP}, b{B, N, false};
  g.transposed = M <= N;  // the smaller operand takes the VNNI re-layout
  g.x = g.transposed ? b : a;
  g.y = g.transposed ? a : b;
  g.Xp = (g.x.rows + 2 * TILE - 1) / (2 * TILE) * (2 * TILE);
  g.Yp = (g.y.rows + 2 * TILE - 1) / (2 * TILE) * (2 * TILE);
  g.padProducts = unsignedP ? 0 : g.W * 64 - K;
  g.C = C;
  g.N = N;
  g.scale = scale;
  g.colScale = colScale;
  g.bias = bias;
  g.yv = static_cast<const uint8_t*>(thread_scratch(1, static_cast<size_t>(g.Yp * g.W * KB)));
  const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(g.W);
  if (work < 1.0e6) threads = 1;
  parallel_tasks(threads, g.Yp / TILE, expand_y_task, &g);
  parallel_tasks(threads, g.Xp / (2 * TILE), compute_task, &g);
}

struct BatchCtx {
  bool unsignedP;
  float* C;
  const uint32_t* A;
  const uint32_t* B;
  int64_t M, K, N;
  double scale;
  const float* colScale;
  const float* bias;
};

void batch_task(void* vctx, int64_t i, int) {
  const BatchCtx& g = *static_cast<const BatchCtx*>(vctx);
  const int64_t u32 = 2 * ((g.K + 63) / 64);
  amx_one(g.unsignedP, g.C + i * g.M * g.N, g.A + i * g.M * u32, g.B + i * g.N * u32, g.M, g.K, g.N, g.scale,
          g.colScale, g.bias, 1);
}

// Batches of small products (attention heads) run one product per task; large ones one after another on all threads.
void amx_binary_gemm(bool unsignedP, float* C, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K, int64_t N,
                     double scale, const float* colScale, const float* bias, int64_t batch, int threads) {
  if (batch <= 0 || M == 0 || N == 0) return;
  const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>((K + 63) / 64);
  if (batch > 1 && work < 1.0e6) {
    BatchCtx g{unsignedP, C, A, B, M, K, N, scale, colScale, bias};
    parallel_tasks(threads, batch, batch_task, &g);
    return;
  }
  const int64_t u32 = 2 * ((K + 63) / 64);
  for (int64_t i = 0; i < batch; i++)
    amx_one(unsignedP, C + i * M * N, A + i * M * u32, B + i * N * u32, M, K, N, scale, colScale, bias, threads);
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
