// The AVX2 path (AVX2 + FMA + POPCNT): a 6x16 FP32 micro-kernel and a popcount GEMM that counts bits with the
// nibble lookup (vpshufb) into byte counters, 4 output columns per ymm, summed into 64-bit lanes with vpsadbw every
// 31 words (a byte holds at most 31 * 8 = 248). Reached only after the CPU check in addon.cc.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsics (`__m512d __Y = __Y;` in avx512fintrin.h) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cmath>
#include <cstdint>
#include <limits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,popcnt,bmi,bmi2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,popcnt,bmi,bmi2")
#endif

namespace bk {
namespace {

constexpr int64_t MR = 6, NR = 16, MC_MAX = 144, NC_MAX = 512, KC_MAX = 256;

inline void ukernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                    bool acc) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    c0[r] = _mm256_setzero_ps();
    c1[r] = _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(cr));
      c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, c0[r]);
    _mm256_storeu_ps(cr + 8, c1[r]);
  }
}

constexpr int64_t GL = 4;
constexpr int BR = 3, BQ = 2;

struct BinEpilogue;
template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e);

#define BK_SOFTMAX_PACK_ROW 0
#define BK_AVX_TRANSPOSE 1
void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K);
void softmax_row(float* y, const float* x, const float* mask, double scale, int64_t C);

#include "gemm_driver.inc"

template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i tot[R][Q];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int q = 0; q < Q; q++) tot[r][q] = _mm256_setzero_si256();
  for (int64_t w0 = 0; w0 < W; w0 += 31) {
    const int64_t w1 = imin(W, w0 + 31);
    __m256i cnt[R][Q];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 8
      for (int q = 0; q < Q; q++) cnt[r][q] = _mm256_setzero_si256();
    for (int64_t w = w0; w < w1; w++) {
      __m256i bv[Q];
#pragma GCC unroll 8
      for (int q = 0; q < Q; q++) bv[q] = _mm256_load_si256(reinterpret_cast<const __m256i*>(bp + (q * W + w) * GL));
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        const __m256i av = _mm256_set1_epi64x(static_cast<long long>(ld64(a + r * lda32 + 2 * w)));
#pragma GCC unroll 8
        for (int q = 0; q < Q; q++) {
          const __m256i x = U ? _mm256_and_si256(av, bv[q]) : _mm256_xor_si256(av, bv[q]);
          const __m256i lo = _mm256_and_si256(x, low);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
          cnt[r][q] = _mm256_add_epi8(cnt[r][q], _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
                                                                  _mm256_shuffle_epi8(lut, hi)));
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 8
      for (int q = 0; q < Q; q++)
        tot[r][q] = _mm256_add_epi64(tot[r][q], _mm256_sad_epu8(cnt[r][q], _mm256_setzero_si256()));
  }
  for (int r = 0; r < R; r++) {
    alignas(32) int64_t pop[Q * GL];
#pragma GCC unroll 8
    for (int q = 0; q < Q; q++) _mm256_store_si256(reinterpret_cast<__m256i*>(pop + q * GL), tot[r][q]);
    for (int64_t j = 0; j < ncols; j++) {
      const int64_t dot = U ? 2 * pop[j] - e.popP[r] : e.K - 2 * pop[j];
      c[r * ldc + j] = bin_out(e.scale, dot, e.colScale, e.bias, j);
    }
  }
}

void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K) {
  const int64_t W = ceil_div(K, 64);
  const __m256 tf = _mm256_set1_ps(thrF);
  for (int64_t w = 0; w < W; w++) {
    const int64_t k0 = w * 64, n = imin(64, K - k0);
    uint64_t bits = 0;
    if (n == 64) {
      for (int q = 0; q < 8; q++) {
        const __m256 v = _mm256_loadu_ps(x + k0 + 8 * q);
        const __m256 th = t == nullptr ? tf : _mm256_loadu_ps(t + k0 + 8 * q);
        bits |= static_cast<uint64_t>(_mm256_movemask_ps(_mm256_cmp_ps(v, th, _CMP_GE_OQ))) << (8 * q);
      }
    } else {
      for (int64_t i = 0; i < n; i++)
        if (x[k0 + i] >= (t == nullptr ? thrF : t[k0 + i])) bits |= static_cast<uint64_t>(1) << i;
    }
    o[2 * w] = static_cast<uint32_t>(bits);
    o[2 * w + 1] = static_cast<uint32_t>(bits >> 32);
  }
}

// ---- softmax and LayerNorm rows (see PathOps: float32 exp for softmax, double sums for LayerNorm)

// e^x for x <= 0: Cephes' expf polynomial on x - n ln2 times 2^n built in the exponent bits; exactly 0 below
// ln(FLT_MIN). Relative error ~2e-7.
inline __m256 exp_neg8(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(tiny, _mm256_mul_ps(e, _mm256_castsi256_ps(bits)));
}

inline double hsum4d(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// z = x * scale + mask and z - max in double (as the reference does: with a large mask or logits the float32 sum
// would lose the low bits that decide exp), then the exponential in float32, 8 at a time (the tail padded).
inline __m256 shifted8(const float* x, const float* mask, __m256d vs, __m256d max) {
  __m256d lo = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), vs);
  __m256d hi = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + 4)), vs);
  if (mask != nullptr) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm_loadu_ps(mask)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm_loadu_ps(mask + 4)));
  }
  return _mm256_set_m128(_mm256_cvtpd_ps(_mm256_sub_pd(hi, max)), _mm256_cvtpd_ps(_mm256_sub_pd(lo, max)));
}

void softmax_row(float* y, const float* x, const float* mask, double scale, int64_t C) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < C; c++) {
    const double z = mask == nullptr ? x[c] * scale : x[c] * scale + mask[c];
    if (z > max) max = z;
  }
  const __m256d vs = _mm256_set1_pd(scale), vmax = _mm256_set1_pd(max);
  const int64_t C8 = C & ~int64_t{7};
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t c = 0; c < C8; c += 8) {
    const __m256 e = exp_neg8(shifted8(x + c, mask == nullptr ? nullptr : mask + c, vs, vmax));
    _mm256_storeu_ps(y + c, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (C8 < C) {
    // the tail through the same vector exp: padded with x = -inf (e = 0) and mask 0
    alignas(32) float tx[8], tm[8];
    for (int i = 0; i < 8; i++) {
      tx[i] = C8 + i < C ? x[C8 + i] : -std::numeric_limits<float>::infinity();
      tm[i] = C8 + i < C && mask != nullptr ? mask[C8 + i] : 0.0f;
    }
    const __m256 e = exp_neg8(shifted8(tx, tm, vs, vmax));
    _mm256_store_ps(tx, e);
    vsum = _mm256_add_ps(vsum, e);
    for (int64_t c = C8; c < C; c++) y[c] = tx[c - C8];
  }
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(vsum), _mm256_extractf128_ps(vsum, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
  const float inv = static_cast<float>(1.0 / static_cast<double>(_mm_cvtss_f32(s4)));
  const __m256 vinv = _mm256_set1_ps(inv);
  for (int64_t c = 0; c < C8; c += 8) _mm256_storeu_ps(y + c, _mm256_mul_ps(_mm256_loadu_ps(y + c), vinv));
  for (int64_t c = C8; c < C; c++) y[c] *= inv;
}

void layer_norm_row(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                    int64_t C, double eps) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t c = 0;
  for (; c + 8 <= C; c += 8) {
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(x + c)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm_loadu_ps(x + c + 4)));
  }
  double s = hsum4d(_mm256_add_pd(s0, s1));
  for (; c < C; c++) s += x[c];
  const double mu = s / static_cast<double>(C);
  const __m256d vmu = _mm256_set1_pd(mu);
  s0 = _mm256_setzero_pd();
  s1 = _mm256_setzero_pd();
  for (c = 0; c + 8 <= C; c += 8) {
    const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + c)), vmu);
    const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + c + 4)), vmu);
    s0 = _mm256_add_pd(s0, _mm256_mul_pd(d0, d0));
    s1 = _mm256_add_pd(s1, _mm256_mul_pd(d1, d1));
  }
  double ss = hsum4d(_mm256_add_pd(s0, s1));
  for (; c < C; c++) {
    const double d = x[c] - mu;
    ss += d * d;
  }
  const double rs = 1 / std::sqrt(ss / static_cast<double>(C) + eps);
  const __m256d vrs = _mm256_set1_pd(rs);
  for (c = 0; c + 4 <= C; c += 4) {
    const __m256d xh = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + c)), vmu), vrs);
    const __m256d v = _mm256_add_pd(_mm256_mul_pd(xh, _mm256_cvtps_pd(_mm_loadu_ps(gamma + c))),
                                    _mm256_cvtps_pd(_mm_loadu_ps(beta + c)));
    _mm_storeu_ps(y + c, _mm256_cvtpd_ps(v));
  }
  for (; c < C; c++) y[c] = static_cast<float>((x[c] - mu) * rs * gamma[c] + beta[c]);
  *mean = static_cast<float>(mu);
  *rstd = static_cast<float>(rs);
}

}  // namespace
}  // namespace bk

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace bk {
namespace {
// the element-wise spans are the plain C++ ones (identical results; AVX2 versions not written yet)
const PathOps kOps = {"avx2", gemm, pack_bits, binary_gemm, scalar::aqForward, scalar::aqBackward,
                      scalar::signSelect, scalar::streamSums, scalar::adamw, softmax_row, layer_norm_row,
                      binary_gemm_bits, pack_bits_t, pack_row, attention_bits, nullptr};
}
const PathOps* path_avx2() { return &kOps; }
}  // namespace bk

#else
namespace bk {
const PathOps* path_avx2() { return nullptr; }
}  // namespace bk
#endif
