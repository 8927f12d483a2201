// The AVX-512 path (AVX-512 F/BW/DQ/VL + VPOPCNTDQ, with FMA): a 12x32 FP32 micro-kernel and a popcount GEMM with
// 8 output columns per zmm (B repacked so that the words of 8 columns sit in one vector; A words broadcast; no
// horizontal sums in the inner loop). Everything between push_options and pop_options is compiled for that
// instruction set and is only reached after the CPU check in addon.cc.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsics (`__m512d __Y = __Y;` in avx512fintrin.h) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cmath>
#include <cstdint>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common.h"

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx2,fma,popcnt,bmi,bmi2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx2,fma,popcnt,bmi,bmi2")
#endif

namespace bk {
namespace {

constexpr int64_t MR = 12, NR = 32, MC_MAX = 144, NC_MAX = 512, KC_MAX = 256;

inline void ukernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                    bool acc) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    c0[r] = _mm512_setzero_ps();
    c1[r] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(cr));
      c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, c0[r]);
    _mm512_storeu_ps(cr + 16, c1[r]);
  }
}

constexpr int64_t GL = 8;
constexpr int BR = 6, BQ = 4;

struct BinEpilogue;
template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e);

#define BK_AVX_TRANSPOSE 1
#include "gemm_driver.inc"

template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e) {
  __m512i acc[R][Q];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int q = 0; q < Q; q++) acc[r][q] = _mm512_setzero_si512();
  for (int64_t w = 0; w < W; w++) {
    __m512i bv[Q];
#pragma GCC unroll 8
    for (int q = 0; q < Q; q++) bv[q] = _mm512_load_si512(bp + (q * W + w) * GL);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m512i av = _mm512_set1_epi64(static_cast<long long>(ld64(a + r * lda32 + 2 * w)));
#pragma GCC unroll 8
      for (int q = 0; q < Q; q++) {
        const __m512i x = U ? _mm512_and_si512(av, bv[q]) : _mm512_xor_si512(av, bv[q]);
        acc[r][q] = _mm512_add_epi64(acc[r][q], _mm512_popcnt_epi64(x));
      }
    }
  }
  // epilogue: dot in int64 lanes, exactly converted to double (|dot| <= 2^30), scale * dot (* colScale) in double,
  // rounded once to float32: the reference's operation order
  const __m512d scale = _mm512_set1_pd(e.scale);
  const __m512i kv = _mm512_set1_epi64(e.K);
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    const __m512i pp = U ? _mm512_set1_epi64(e.popP[r]) : kv;
#pragma GCC unroll 8
    for (int q = 0; q < Q; q++) {
      const int64_t left = ncols - q * GL;
      if (left <= 0) break;
      const __mmask8 m = left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1);
      const __m512i pop2 = _mm512_add_epi64(acc[r][q], acc[r][q]);
      const __m512i dot = U ? _mm512_sub_epi64(pop2, pp) : _mm512_sub_epi64(pp, pop2);
      __m512d v = _mm512_mul_pd(scale, _mm512_cvtepi64_pd(dot));
      if (e.colScale != nullptr) v = _mm512_mul_pd(v, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, e.colScale + q * GL)));
      _mm256_mask_storeu_ps(c + r * ldc + q * GL, m, _mm512_cvtpd_ps(v));
    }
  }
}

struct PackCtx {
  uint32_t* out;
  const float* x;
  const float* shift;
  double thr;
  float thrF;  // the smallest float >= thr: for a float x, x >= thr exactly when x >= thrF
  int64_t R, K, rowsPerTask;
};

void pack_task(void* vctx, int64_t t, int) {
  const PackCtx& p = *static_cast<const PackCtx*>(vctx);
  const int64_t W = ceil_div(p.K, 64);
  const int64_t r1 = imin(p.R, (t + 1) * p.rowsPerTask);
  const __m512 tf = _mm512_set1_ps(p.thrF);
  const __m512d td = _mm512_set1_pd(p.thr);
  for (int64_t r = t * p.rowsPerTask; r < r1; r++) {
    const float* x = p.x + r * p.K;
    uint32_t* o = p.out + r * 2 * W;
    for (int64_t w = 0; w < W; w++) {
      const int64_t k0 = w * 64, n = imin(64, p.K - k0);
      uint64_t bits = 0;
      if (p.shift == nullptr) {
        for (int q = 0; q < 4 && 16 * q < n; q++) {
          const int64_t left = n - 16 * q;
          const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
          const __m512 v = _mm512_maskz_loadu_ps(m, x + k0 + 16 * q);
          bits |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(m, v, tf, _CMP_GE_OQ)) << (16 * q);
        }
      } else {
        for (int q = 0; q < 8 && 8 * q < n; q++) {
          const int64_t left = n - 8 * q;
          const __mmask8 m = left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1);
          const __m512d u = _mm512_add_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, x + k0 + 8 * q)),
                                          _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, p.shift + k0 + 8 * q)));
          bits |= static_cast<uint64_t>(_mm512_mask_cmp_pd_mask(m, u, td, _CMP_GE_OQ)) << (8 * q);
        }
      }
      o[2 * w] = static_cast<uint32_t>(bits);
      o[2 * w + 1] = static_cast<uint32_t>(bits >> 32);
    }
  }
}

void pack_bits(uint32_t* out, const float* x, const float* shift, double thr, int64_t R, int64_t K, int threads) {
  PackCtx p{out, x, shift, thr, 0.0f, R, K, 0};
  float t = static_cast<float>(thr);
  if (static_cast<double>(t) < thr) t = std::nextafter(t, INFINITY);
  p.thrF = t;
  if (static_cast<double>(R) * static_cast<double>(K) < 1.0e5) threads = 1;
  p.rowsPerTask = imin(R, ceil_div(R, 4 * static_cast<int64_t>(threads > 0 ? threads : 1)));
  if (p.rowsPerTask < 1) return;
  parallel_tasks(threads, ceil_div(R, p.rowsPerTask), pack_task, &p);
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
const PathOps kOps = {"avx512", gemm, pack_bits, binary_gemm};
}
const PathOps* path_avx512() { return &kOps; }
}  // namespace bk

#else
namespace bk {
const PathOps* path_avx512() { return nullptr; }
}  // namespace bk
#endif
