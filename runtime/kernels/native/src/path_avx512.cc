// The AVX-512 path (AVX-512 F/BW/DQ/VL + VPOPCNTDQ, with FMA): a 12x32 FP32 micro-kernel and a popcount GEMM with
// 8 output columns per zmm (B repacked so that the words of 8 columns sit in one vector; A words broadcast; no
// horizontal sums in the inner loop). Everything between push_options and pop_options is compiled for that
// instruction set and is only reached after the CPU check in addon.cc.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsics (`__m512d __Y = __Y;` in avx512fintrin.h) as (maybe-)uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
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
#define BK_SOFTMAX_PACK_ROW 1
#define BK_BITS_EPILOGUE 1
void softmax_pack_row(uint32_t* o, float* row, const float* t, float thrF, int64_t N);
void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K);
void softmax_row(float* y, const float* x, const float* mask, double scale, int64_t C);

#include "gemm_driver.inc"

// f(integral_constant<int, 0>) .. f(integral_constant<int, N - 1>), expanded at compile time. The binary kernel
// indexes its accumulators only this way: with every index a constant from the start GCC keeps them in registers;
// indexed by loop counters (even fully unrolled ones) it kept the array in memory too, and stored all 24
// accumulators on every iteration of the inner loop.
template <typename F, int... I>
__attribute__((always_inline)) inline void static_for_impl(const F& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}
template <int N, typename F>
__attribute__((always_inline)) inline void static_for(const F& f) {
  static_for_impl(f, std::make_integer_sequence<int, N>{});
}

// A tile's counts: in registers, or stored (see bkern).
inline __m512i counts(const __m512i& v) { return v; }
inline __m512i counts(const int64_t (&v)[8]) { return _mm512_load_si512(v); }

// Packed output from integer thresholds (BinEpilogue.D): per row, Q compares of 8 columns make one uint32 of the
// packed row (GL * BQ = 32 columns); SS compares the popcounts themselves, US the dots 2 * pop - popP.
template <bool GE, int R, int Q, bool U, typename Counts>
__attribute__((always_inline)) inline void bits_rows(const Counts (&acc)[R][Q], int64_t ncols, const BinEpilogue& e) {
  __m512i th[Q];
  __mmask8 live[Q];
  static_for<Q>([&](auto q) {
    const int64_t left = ncols - q * GL;
    live[q] = left <= 0 ? static_cast<__mmask8>(0) : left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1);
    th[q] = _mm512_maskz_loadu_epi64(live[q], e.D + q * GL);
  });
  static_for<R>([&](auto r) {
    const __m512i pp = _mm512_set1_epi64(U ? e.popP[r] : 0);
    __mmask16 k[4] = {0, 0, 0, 0};
    static_for<Q>([&](auto q) {
      const __m512i pop = counts(acc[r][q]);
      const __m512i v = U ? _mm512_sub_epi64(_mm512_add_epi64(pop, pop), pp) : pop;
      k[q] = GE ? _mm512_mask_cmpge_epi64_mask(live[q], v, th[q]) : _mm512_mask_cmple_epi64_mask(live[q], v, th[q]);
    });
    // the four 8-bit masks joined in mask registers and stored from there (no moves through general registers)
    const __mmask32 word = _mm512_kunpackw(_mm512_kunpackb(k[3], k[2]), _mm512_kunpackb(k[1], k[0]));
    _store_mask32(reinterpret_cast<__mmask32*>(e.out + r * e.ldo), word);
  });
}

// Float output: dot in int64 lanes, exactly converted to double (|dot| <= 2^30), scale * dot (* colScale) in double,
// rounded once to float32: the reference's operation order.
template <int R, int Q, bool U, typename Counts>
__attribute__((always_inline)) inline void float_rows(const Counts (&acc)[R][Q], float* c, int64_t ldc, int64_t ncols,
                                                      const BinEpilogue& e) {
  const __m512d scale = _mm512_set1_pd(e.scale);
  const __m512i kv = _mm512_set1_epi64(e.K);
  static_for<R>([&](auto r) {
    const __m512i pp = U ? _mm512_set1_epi64(e.popP[r]) : kv;
    static_for<Q>([&](auto q) {
      const int64_t left = ncols - q * GL;
      if (left > 0) {
        const __mmask8 m = left >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << left) - 1);
        const __m512i pop = counts(acc[r][q]);
        const __m512i pop2 = _mm512_add_epi64(pop, pop);
        const __m512i dot = U ? _mm512_sub_epi64(pop2, pp) : _mm512_sub_epi64(pp, pop2);
        __m512d v = _mm512_mul_pd(scale, _mm512_cvtepi64_pd(dot));
        if (e.colScale != nullptr) v = _mm512_mul_pd(v, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, e.colScale + q * GL)));
        __m256 f = _mm512_cvtpd_ps(v);
        // the bias added to the float32 product: addBias's operation is that sum in double rounded to float, which
        // is the float32 sum (two floats' sum rounded to double and then to float is rounded once: 53 >= 2*24 + 2)
        if (e.bias != nullptr) f = _mm256_add_ps(f, _mm256_maskz_loadu_ps(m, e.bias + q * GL));
        _mm256_mask_storeu_ps(c + r * ldc + q * GL, m, f);
      }
    });
  });
}

// The output stages that need more registers (floats; US bits), from the tile's stored counts, out of line: inlined,
// GCC spilled accumulators for them at every update inside the kernel's loop.
template <int R, int Q, bool U>
__attribute__((noinline)) void finish_stored(const int64_t (&acc)[R][Q][8], float* c, int64_t ldc, int64_t ncols,
                                             const BinEpilogue& e) {
  if (e.D == nullptr) float_rows<R, Q, U>(acc, c, ldc, ncols, e);
  else if (e.ge) bits_rows<true, R, Q, U>(acc, ncols, e);
  else bits_rows<false, R, Q, U>(acc, ncols, e);
}

// Word w's popcounts into the accumulators: the first word sets them (no zeroing and adding), the others add.
template <int R, int Q, bool U, bool FIRST>
__attribute__((always_inline)) inline void popcount_step(__m512i (&acc)[R][Q], const uint32_t* a, int64_t lda32,
                                                         const uint64_t* bp, int64_t W, int64_t w) {
  __m512i bv[Q];
  static_for<Q>([&](auto q) { bv[q] = _mm512_load_si512(bp + (q * W + w) * GL); });
  static_for<R>([&](auto r) {
    const __m512i av = _mm512_set1_epi64(static_cast<long long>(ld64(a + r * lda32 + 2 * w)));
    static_for<Q>([&](auto q) {
      const __m512i pop = _mm512_popcnt_epi64(U ? _mm512_and_si512(av, bv[q]) : _mm512_xor_si512(av, bv[q]));
      acc[r][q] = FIRST ? pop : _mm512_add_epi64(acc[r][q], pop);
    });
  });
}

// Float output of products one or two words deep (the attention heads' scores at head size 64): no loop for the
// float stage's registers to spill from, so it runs on the registers (storing and reloading the counts cost 7 % at
// K = 64).
template <int R, int Q, bool U>
__attribute__((noinline)) void bkern_short(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c,
                                           int64_t ldc, int64_t ncols, const BinEpilogue& e) {
  __m512i acc[R][Q];
  popcount_step<R, Q, U, true>(acc, a, lda32, bp, W, 0);
  if (W == 2) popcount_step<R, Q, U, false>(acc, a, lda32, bp, W, 1);
  float_rows<R, Q, U>(acc, c, ldc, ncols, e);
}

template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e) {
  if (e.D == nullptr && (W == 1 || W == 2)) {
    bkern_short<R, Q, U>(a, lda32, bp, W, c, ldc, ncols, e);
    return;
  }
  __m512i acc[R][Q];
  if (W > 0) {
    popcount_step<R, Q, U, true>(acc, a, lda32, bp, W, 0);
  } else {
    static_for<R>([&](auto r) { static_for<Q>([&](auto q) { acc[r][q] = _mm512_setzero_si512(); }); });
  }
  for (int64_t w = 1; w < W; w++) popcount_step<R, Q, U, false>(acc, a, lda32, bp, W, w);
  if (!U && e.D != nullptr) {  // SS packed output: compares on the registers
    if (e.ge) bits_rows<true, R, Q, U>(acc, ncols, e);
    else bits_rows<false, R, Q, U>(acc, ncols, e);
    return;
  }
  alignas(64) int64_t stored[R][Q][8];
  static_for<R>([&](auto r) { static_for<Q>([&](auto q) { _mm512_store_si512(stored[r][q], acc[r][q]); }); });
  finish_stored<R, Q, U>(stored, c, ldc, ncols, e);
}

void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K) {
  const int64_t W = ceil_div(K, 64);
  const __m512 tf = _mm512_set1_ps(thrF);
  for (int64_t w = 0; w < W; w++) {
    const int64_t k0 = w * 64, n = imin(64, K - k0);
    uint64_t bits = 0;
    for (int q = 0; q < 4 && 16 * q < n; q++) {
      const int64_t left = n - 16 * q;
      const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(m, x + k0 + 16 * q);
      const __m512 th = t == nullptr ? tf : _mm512_maskz_loadu_ps(m, t + k0 + 16 * q);
      bits |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(m, v, th, _CMP_GE_OQ)) << (16 * q);
    }
    o[2 * w] = static_cast<uint32_t>(bits);
    o[2 * w + 1] = static_cast<uint32_t>(bits >> 32);
  }
}

// packBitsTransposed with the bits set in vector lanes: a task is (batch row b, 64-step slice w of T); it reads the
// slice's rows front to back (sequential memory), and for each t compares 16 channels at once against their float
// thresholds, ORing bit t into 16 uint64 channel words kept in an L1 buffer. No transposed copy is written.
void pack_t_task(void* vctx, int64_t task, int) {
  const PackTCtx& p = *static_cast<const PackTCtx*>(vctx);
  const int64_t W = ceil_div(p.T, 64);
  const int64_t b = task / W, w = task % W;
  const int64_t t0 = w * 64, tn = imin(64, p.T - t0);
  const int64_t nCB = ceil_div(p.C, 16);
  uint64_t* acc = static_cast<uint64_t*>(thread_scratch(1, sizeof(uint64_t) * 16 * static_cast<size_t>(nCB)));
  for (int64_t q = 0; q < nCB; q++) {
    _mm512_store_si512(acc + 16 * q, _mm512_setzero_si512());
    _mm512_store_si512(acc + 16 * q + 8, _mm512_setzero_si512());
  }
  const __m512 tf = _mm512_set1_ps(p.thrF);
  for (int64_t i = 0; i < tn; i++) {
    const float* row = p.x + (b * p.T + t0 + i) * p.C;
    const __m512i bit = _mm512_set1_epi64(static_cast<long long>(uint64_t{1} << i));
    for (int64_t q = 0; q < nCB; q++) {
      const int64_t c0 = 16 * q, cn = imin(16, p.C - c0);
      const __mmask16 m16 = cn >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << cn) - 1);
      const __m512 th = p.t == nullptr ? tf : _mm512_maskz_loadu_ps(m16, p.t + c0);
      const __mmask16 ge = _mm512_mask_cmp_ps_mask(m16, _mm512_maskz_loadu_ps(m16, row + c0), th, _CMP_GE_OQ);
      uint64_t* a = acc + 16 * q;
      _mm512_store_si512(a, _mm512_mask_or_epi64(_mm512_load_si512(a), static_cast<__mmask8>(ge & 0xff), _mm512_load_si512(a), bit));
      _mm512_store_si512(a + 8, _mm512_mask_or_epi64(_mm512_load_si512(a + 8), static_cast<__mmask8>(ge >> 8), _mm512_load_si512(a + 8), bit));
    }
  }
  for (int64_t c = 0; c < p.C; c++) {
    uint32_t* o = p.out + (b * p.C + c) * 2 * W + 2 * w;
    o[0] = static_cast<uint32_t>(acc[c]);
    o[1] = static_cast<uint32_t>(acc[c] >> 32);
  }
}

void pack_bits_t_avx512(uint32_t* out, const float* x, const float* shift, double thr, int64_t B, int64_t T, int64_t C,
                        int threads) {
  if (B == 0 || C == 0 || T == 0) return;
  const std::vector<float> tv = packThresholds(shift, thr, C);
  PackTCtx p{out, x, tv.empty() ? nullptr : tv.data(), floatAtLeast(thr), B, T, C};
  if (static_cast<double>(B) * static_cast<double>(T) * static_cast<double>(C) < 1.0e5) threads = 1;
  parallel_tasks(threads, B * ceil_div(T, 64), pack_t_task, &p);
}

// ------------------------------------------------------------------ element-wise spans
// Double lanes wherever the reference computes in double: 8 floats are widened exactly (vcvtps2pd), every operation
// is the reference's, correctly rounded (+ - * / sqrt, no FMA: -ffp-contract=off), round-half-even is vrndscalepd
// with _MM_FROUND_TO_NEAREST_INT (then + 0.0 turns -0 into +0), and each double is narrowed once (vcvtpd2ps, round
// to nearest). Comparisons are the ordered ones of C++ (false on NaN), so NaN takes the reference's branches.

inline __mmask8 tail8(int64_t n) { return n >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << n) - 1); }

/** u = x (+ shift) in double for 8 elements (masked lanes read as 0). */
inline __m512d load_u(const float* x, const float* shift, __mmask8 m) {
  __m512d u = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, x));
  if (shift != nullptr) u = _mm512_add_pd(u, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, shift)));
  return u;
}

inline __m512d round_half_even(__m512d v) {
  return _mm512_add_pd(_mm512_roundscale_pd(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), _mm512_setzero_pd());
}

void aq_forward(float* y, const float* x, const float* shift, const AqParams& q, int64_t n) {
  if (q.signed1) {
    const __m512 pos = _mm512_set1_ps(q.pos), neg = _mm512_set1_ps(q.neg);
    if (shift == nullptr) {
      // double(x) >= 0 exactly when x >= 0
      for (int64_t c = 0; c < n; c += 16) {
        const int64_t left = n - c;
        const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
        const __mmask16 ge = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, x + c), _mm512_setzero_ps(), _CMP_GE_OQ);
        _mm512_mask_storeu_ps(y + c, m, _mm512_mask_blend_ps(ge, neg, pos));
      }
    } else {
      for (int64_t c = 0; c < n; c += 8) {
        const __mmask8 m = tail8(n - c);
        const __mmask8 ge = _mm512_cmp_pd_mask(load_u(x + c, shift + c, m), _mm512_setzero_pd(), _CMP_GE_OQ);
        _mm256_mask_storeu_ps(y + c, m, _mm512_castps512_ps256(_mm512_mask_blend_ps(ge, neg, pos)));
      }
    }
    return;
  }
  // v = (u - offset) / a is only needed through round(v) here. v1 = (u - offset) * RN(1/a) is within
  // |v1| * 2^-51 of v (three roundings of 2^-53 each; 1/a is a normal number for a in [2^-500, 2^500], and an
  // underflow adds at most ~2^-1074). So when v1 is more than 2^-30 away from a half-integer and |v1| < 2^20, v lies on
  // the same side of it and rounds to the same integer; when |v1| >= 2^20 (or is infinite) v has the same sign and
  // clips to the same end; v1 is NaN exactly when v is. Any other lane (a tie or near-tie) takes the division.
  const bool fast = q.a >= 0x1p-500 && q.a <= 0x1p500;
  const __m512d a = _mm512_set1_pd(q.a), off = _mm512_set1_pd(q.offset), qn = _mm512_set1_pd(q.qn),
                qp = _mm512_set1_pd(q.qp), inv = _mm512_set1_pd(1.0 / q.a), half = _mm512_set1_pd(0.5),
                big = _mm512_set1_pd(0x1p20), near = _mm512_set1_pd(0x1p-30);
  for (int64_t c = 0; c < n; c += 8) {
    const __mmask8 m = tail8(n - c);
    const __m512d u = load_u(x + c, shift == nullptr ? nullptr : shift + c, m);
    const __m512d w = _mm512_sub_pd(u, off);
    __m512d v;
    if (fast) {
      v = _mm512_mul_pd(w, inv);
      const __m512d frac = _mm512_sub_pd(_mm512_sub_pd(v, _mm512_roundscale_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)), half);
      const __mmask8 risky = _mm512_cmp_pd_mask(_mm512_abs_pd(v), big, _CMP_LT_OQ) &
                             _mm512_cmp_pd_mask(_mm512_abs_pd(frac), near, _CMP_LE_OQ);
      if (risky != 0) v = _mm512_div_pd(w, a);
    } else {
      v = _mm512_div_pd(w, a);
    }
    __m512d r = round_half_even(v);
    r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(r, qn, _CMP_LT_OQ), r, qn);
    r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(r, qp, _CMP_GT_OQ), r, qp);
    _mm256_mask_storeu_ps(y + c, m, _mm512_cvtpd_ps(_mm512_add_pd(_mm512_mul_pd(a, r), off)));
  }
}

double aq_backward(float* dX, float* dShift, const float* dY, const float* x, const float* shift, const AqParams& q,
                   int64_t n, double dA) {
  const __m512d a = _mm512_set1_pd(q.a), na = _mm512_set1_pd(-q.a), off = _mm512_set1_pd(q.offset),
                qn = _mm512_set1_pd(q.qn), qp = _mm512_set1_pd(q.qp), zero = _mm512_setzero_pd(),
                sign = _mm512_set1_pd(-0.0);
  alignas(64) double t[8];
  for (int64_t c = 0; c < n; c += 8) {
    const __mmask8 m = tail8(n - c);
    const __m256 g = _mm256_maskz_loadu_ps(m, dY + c);
    const __m512d gd = _mm512_cvtps_pd(g);
    const __m512d u = load_u(x + c, shift == nullptr ? nullptr : shift + c, m);
    __m512d term;
    __mmask8 pass;
    if (q.signed1) {
      const __mmask8 ge = _mm512_cmp_pd_mask(u, zero, _CMP_GE_OQ);
      term = _mm512_mask_blend_pd(ge, _mm512_xor_pd(gd, sign), gd);
      pass = _mm512_cmp_pd_mask(u, na, _CMP_GE_OQ) & _mm512_cmp_pd_mask(u, a, _CMP_LE_OQ);
    } else {
      const __m512d v = _mm512_div_pd(_mm512_sub_pd(u, off), a);
      const __mmask8 lo = _mm512_cmp_pd_mask(v, qn, _CMP_LT_OQ), hi = _mm512_cmp_pd_mask(v, qp, _CMP_GT_OQ);
      term = _mm512_mul_pd(_mm512_sub_pd(round_half_even(v), v), gd);
      term = _mm512_mask_mov_pd(term, lo, _mm512_mul_pd(qn, gd));
      term = _mm512_mask_mov_pd(term, hi, _mm512_mul_pd(qp, gd));
      pass = static_cast<__mmask8>(~(lo | hi));
    }
    pass &= m;
    if (pass != 0) {
      const __m256 dx = _mm256_maskz_loadu_ps(pass, dX + c);
      _mm256_mask_storeu_ps(dX + c, pass, _mm256_add_ps(dx, g));
      if (dShift != nullptr) {
        const __m256 ds = _mm256_maskz_loadu_ps(pass, dShift + c);
        _mm256_mask_storeu_ps(dShift + c, pass, _mm256_add_ps(ds, g));
      }
    }
    // the reference's order: one term after the other
    _mm512_store_pd(t, term);
    const int64_t k = n - c >= 8 ? 8 : n - c;
    for (int64_t l = 0; l < k; l++) dA += t[l];
  }
  return dA;
}

void sign_select(float* out, const float* w, int64_t n, double centre, float pos, float neg) {
  const __m512 p = _mm512_set1_ps(pos), q = _mm512_set1_ps(neg);
  if (centre == 0) {
    // double(w) - 0 >= 0 exactly when w >= 0 (w - 0 = w, also for -0, infinities and NaN)
    for (int64_t i = 0; i < n; i += 16) {
      const int64_t left = n - i;
      const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      const __mmask16 ge = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, w + i), _mm512_setzero_ps(), _CMP_GE_OQ);
      _mm512_mask_storeu_ps(out + i, m, _mm512_mask_blend_ps(ge, q, p));
    }
    return;
  }
  const __m512d cv = _mm512_set1_pd(centre);
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 m = tail8(n - i);
    const __m512d d = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, w + i)), cv);
    const __mmask8 ge = _mm512_cmp_pd_mask(d, _mm512_setzero_pd(), _CMP_GE_OQ);
    _mm256_mask_storeu_ps(out + i, m, _mm512_castps512_ps256(_mm512_mask_blend_ps(ge, q, p)));
  }
}

/** r[k] <- element k of each of the 8 rows r[0..7] (row i in lane i). */
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
               t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
               t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
               t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Eight streams at a time, one per double lane: each lane adds its stream's elements one by one in order (8 loads,
// a register transpose, then 8 dependent vector additions per 8 elements), so every sum is the sequential one.
template <bool S, bool A, bool Q>
void stream_sums_t(const float* x, int64_t stride, int64_t len, int64_t count, double* os, double* oa, double* oq) {
  alignas(64) double ts[8], ta[8], tq[8];
  for (int64_t i0 = 0; i0 < count; i0 += 8) {
    const int64_t lanes = imin(8, count - i0);
    const float* p[8];
    for (int l = 0; l < 8; l++) p[l] = x + (i0 + (l < lanes ? l : 0)) * stride;  // spare lanes repeat stream i0
    int64_t j = 0;
    __m512d as = _mm512_setzero_pd(), aa = _mm512_setzero_pd(), aq = _mm512_setzero_pd();
    if (lanes > 1) {
      for (; j + 8 <= len; j += 8) {
        __m256 r[8];
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) r[l] = _mm256_loadu_ps(p[l] + j);
        transpose8(r);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
          const __m512d d = _mm512_cvtps_pd(r[k]);
          if (S) as = _mm512_add_pd(as, d);
          if (A) aa = _mm512_add_pd(aa, _mm512_abs_pd(d));
          if (Q) aq = _mm512_add_pd(aq, _mm512_mul_pd(d, d));
        }
      }
    }
    _mm512_store_pd(ts, as);
    _mm512_store_pd(ta, aa);
    _mm512_store_pd(tq, aq);
    for (int64_t l = 0; l < lanes; l++) {
      double a = ts[l], b = ta[l], c = tq[l];
      for (int64_t k = j; k < len; k++) {
        const double d = p[l][k];
        if (S) a += d;
        if (A) b += std::fabs(d);
        if (Q) c += d * d;
      }
      if (S) os[i0 + l] = a;
      if (A) oa[i0 + l] = b;
      if (Q) oq[i0 + l] = c;
    }
  }
}

void stream_sums(const float* x, int64_t stride, int64_t len, int64_t count, double* s, double* sa, double* sq) {
  const int mode = (s != nullptr ? 1 : 0) | (sa != nullptr ? 2 : 0) | (sq != nullptr ? 4 : 0);
  switch (mode) {
    case 1: return stream_sums_t<true, false, false>(x, stride, len, count, s, sa, sq);
    case 2: return stream_sums_t<false, true, false>(x, stride, len, count, s, sa, sq);
    case 3: return stream_sums_t<true, true, false>(x, stride, len, count, s, sa, sq);
    case 4: return stream_sums_t<false, false, true>(x, stride, len, count, s, sa, sq);
    default: return stream_sums_t<true, true, true>(x, stride, len, count, s, sa, sq);
  }
}

template <bool BC>
void adamw_t(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  const __m512d b1 = _mm512_set1_pd(p.beta1), b2 = _mm512_set1_pd(p.beta2), c1 = _mm512_set1_pd(p.c1),
                c2 = _mm512_set1_pd(p.c2), lr = _mm512_set1_pd(p.lr), eps = _mm512_set1_pd(p.eps),
                wd = _mm512_set1_pd(p.weightDecay), bc1 = _mm512_set1_pd(p.bc1), bc2 = _mm512_set1_pd(p.bc2);
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 k = tail8(n - i);
    const __m512d g = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, grad + i));
    const __m512d mi = _mm512_add_pd(_mm512_mul_pd(b1, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, m + i))),
                                     _mm512_mul_pd(c1, g));
    const __m512d vi = _mm512_add_pd(_mm512_mul_pd(b2, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, v + i))),
                                     _mm512_mul_pd(_mm512_mul_pd(c2, g), g));
    _mm256_mask_storeu_ps(m + i, k, _mm512_cvtpd_ps(mi));
    _mm256_mask_storeu_ps(v + i, k, _mm512_cvtpd_ps(vi));
    const __m512d w = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, param + i));
    // x / 1 == x exactly: without bias correction (bc1 = bc2 = 1) the two divisions are skipped
    const __m512d mh = BC ? _mm512_div_pd(mi, bc1) : mi, vh = BC ? _mm512_div_pd(vi, bc2) : vi;
    const __m512d upd = _mm512_add_pd(_mm512_div_pd(mh, _mm512_add_pd(_mm512_sqrt_pd(vh), eps)), _mm512_mul_pd(wd, w));
    _mm256_mask_storeu_ps(param + i, k, _mm512_cvtpd_ps(_mm512_sub_pd(w, _mm512_mul_pd(lr, upd))));
  }
}

void adamw(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  if (p.bc1 == 1 && p.bc2 == 1) adamw_t<false>(param, grad, m, v, n, p);
  else adamw_t<true>(param, grad, m, v, n, p);
}

// ---- softmax and LayerNorm rows (see PathOps: float32 exp for softmax, double sums for LayerNorm)

// e^x for x <= 0 (softmax arguments z - max): Cephes' expf polynomial on x - n ln2, scaled by 2^n; below
// ln(FLT_MIN) it is exactly 0, as the reference's float32 store of a tiny double exp is. Relative error ~2e-7.
inline __m512 exp_neg16(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_LT_OQ);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 r2 = _mm512_mul_ps(r, r);
  const __m512 e = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(static_cast<__mmask16>(~tiny), e, n);
}

inline __mmask16 tail_mask(int64_t left) { return left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1); }

// z = x * scale + mask and z - max in double (as the reference does: with a large mask or logits the float32 sum
// would lose the low bits that decide exp), then the exponential in float32.
inline void z16(const float* x, const float* mask, __m512d vs, __mmask16 m, __m512d& lo, __m512d& hi) {
  const __m512 xv = _mm512_maskz_loadu_ps(m, x);
  lo = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(xv)), vs);
  hi = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(xv), 1))), vs);
  if (mask != nullptr) {
    const __m512 mv = _mm512_maskz_loadu_ps(m, mask);
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(mv)));
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(mv), 1))));
  }
}

// 1 / the float32 lane sums of a softmax row's exponentials, summed once in order, as float32.
inline __m512 softmax_inv(__m512 vsum) {
  return _mm512_set1_ps(static_cast<float>(1.0 / static_cast<double>(_mm512_reduce_add_ps(vsum))));
}

// The softmax rows' last pass: y (the exponentials) times softmax_inv.
inline void softmax_normalize(float* y, __m512 vsum, int64_t C) {
  const __m512 inv = softmax_inv(vsum);
  for (int64_t c = 0; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    _mm512_mask_storeu_ps(y + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + c), inv));
  }
}

// softmax_row at scale 1 without a mask, in float32: then z = x exactly, and float(double(x) - double(max)) is the
// float subtraction x - max (a difference of two floats rounded to double and then to float is the difference
// rounded to float: 53 >= 2 * 24 + 2 bits), so this gives softmax_row's bits with a third of its conversions. The
// packed engine's attention rows come this way (their scale is applied in the scores GEMM, the mask added before).
// A row with a NaN returns false and takes the double path: the two max reductions could pick different lanes then.
bool softmax_exp_unscaled(float* y, const float* x, int64_t C, __m512* vsumOut) {
  __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __mmask16 nan = 0;
  for (int64_t c = 0; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + c);
    nan |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
    vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
  }
  if (nan != 0) return false;
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t c = 0; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    const __m512 e = exp_neg16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), max));
    _mm512_mask_storeu_ps(y + c, m, e);
    vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
  }
  *vsumOut = vsum;
  return true;
}

bool softmax_row_unscaled(float* y, const float* x, int64_t C) {
  __m512 vsum;
  if (!softmax_exp_unscaled(y, x, C, &vsum)) return false;
  softmax_normalize(y, vsum, C);
  return true;
}

void softmax_row(float* y, const float* x, const float* mask, double scale, int64_t C) {
  if (scale == 1.0 && mask == nullptr && softmax_row_unscaled(y, x, C)) return;
  const __m512d vs = _mm512_set1_pd(scale);
  const double ninf = -std::numeric_limits<double>::infinity();
  __m512d vmax = _mm512_set1_pd(ninf);
  for (int64_t c = 0; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    __m512d lo, hi;
    z16(x + c, mask == nullptr ? nullptr : mask + c, vs, m, lo, hi);
    vmax = _mm512_mask_max_pd(vmax, static_cast<__mmask8>(m), vmax, lo);
    vmax = _mm512_mask_max_pd(vmax, static_cast<__mmask8>(m >> 8), vmax, hi);
  }
  const __m512d max = _mm512_set1_pd(_mm512_reduce_max_pd(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t c = 0; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    __m512d lo, hi;
    z16(x + c, mask == nullptr ? nullptr : mask + c, vs, m, lo, hi);
    const __m512 t = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(_mm512_sub_pd(lo, max))),
                                        _mm512_cvtpd_ps(_mm512_sub_pd(hi, max)), 1);
    const __m512 e = exp_neg16(t);
    _mm512_mask_storeu_ps(y + c, m, e);
    vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
  }
  softmax_normalize(y, vsum, C);
}

// attentionProbsBits' row: softmax_row at scale 1 without a mask, then pack_row of it, with the normalised values
// compared in registers instead of stored and read back (the same floats and comparisons, so the same bits).
void softmax_pack_row(uint32_t* o, float* row, const float* t, float thrF, int64_t N) {
  __m512 vsum;
  if (!softmax_exp_unscaled(row, row, N, &vsum)) {
    softmax_row(row, row, nullptr, 1.0, N);
    pack_row(o, row, t, thrF, N);
    return;
  }
  const __m512 inv = softmax_inv(vsum), tf = _mm512_set1_ps(thrF);
  for (int64_t w = 0; w < ceil_div(N, 64); w++) {
    uint64_t bits = 0;
    for (int q = 0; q < 4 && 64 * w + 16 * q < N; q++) {
      const int64_t c = 64 * w + 16 * q;
      const __mmask16 m = tail_mask(N - c);
      const __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + c), inv);
      const __m512 th = t == nullptr ? tf : _mm512_maskz_loadu_ps(m, t + c);
      bits |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(m, p, th, _CMP_GE_OQ)) << (16 * q);
    }
    o[2 * w] = static_cast<uint32_t>(bits);
    o[2 * w + 1] = static_cast<uint32_t>(bits >> 32);
  }
}

// ---- LayerNorm rows: one statistics pass and one output pass, the residual add and the packings folded in
//
// Statistics in double from one pass over the row, shifted by its first element (sum and sum of squares of x - x0:
// the shift keeps the subtraction E[d^2] - E[d]^2 from cancelling unless the row's spread is tiny next to its
// distance from x0; the squares are accumulated with FMA). The statistics pass keeps the widened x + residual (the
// float32 add) for the output pass, which packs y for each following quantizer while it is in registers.
// layer_norm_row is the same code without residual and packs, so the fused kernel equals add + layerNormForward +
// packBits of this path to the bit.

// x (+ residual) as a float32 add, 16 lanes (masked), widened to two vectors of double
inline void ln_input(const float* x, const float* residual, int64_t c, __mmask16 m, __m512d& lo, __m512d& hi) {
  __m512 v = _mm512_maskz_loadu_ps(m, x + c);
  if (residual != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual + c));
  lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
  hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

// The first kLnCache values of the row, widened, stay on the stack (16 KiB) between the two passes: the output pass
// then loads them instead of adding and converting again (those conversions and adds were a third of the row's
// work on the two vector ports). Longer rows recompute the rest, which gives the same values.
constexpr int64_t kLnCache = 2048;

// gamma and beta widened to double: GB = float converts them per row, GB = double reads them widened once per call.
// (The values are the same, so both give the same bits.) NP: the number of packs when it is 0 to 3 (the engine's
// cases), each pack's word then kept in a register; -1 for any count up to 8.
template <typename GB, int NP>
void ln_row(float* y, float* meanOut, float* rstdOut, const float* x, const float* residual, const GB* gamma,
            const GB* beta, int64_t C, double eps, const RowPack* packs, int npacks) {
  // C >= 1: the callers (layerNormForward, residualLayerNorm) return early on empty rows
  alignas(64) double cache[kLnCache];
  const int64_t full = C / 16 * 16, cached = std::min(full, kLnCache);
  const double shift = static_cast<double>(residual == nullptr ? x[0] : x[0] + residual[0]);
  const __m512d x0 = _mm512_set1_pd(shift);
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd(), q0 = _mm512_setzero_pd(), q1 = _mm512_setzero_pd();
  // masked lanes (the tail) are 0.0 - x0 otherwise: keep them out of the sums
  const auto accumulate = [&](__m512d lo, __m512d hi, __mmask16 m) {
    const __m512d d0 = _mm512_maskz_sub_pd(static_cast<__mmask8>(m), lo, x0);
    const __m512d d1 = _mm512_maskz_sub_pd(static_cast<__mmask8>(m >> 8), hi, x0);
    s0 = _mm512_add_pd(s0, d0);
    s1 = _mm512_add_pd(s1, d1);
    q0 = _mm512_fmadd_pd(d0, d0, q0);
    q1 = _mm512_fmadd_pd(d1, d1, q1);
  };
  int64_t c = 0;
  for (; c < cached; c += 16) {
    __m512d lo, hi;
    ln_input(x, residual, c, 0xFFFF, lo, hi);
    _mm512_store_pd(cache + c, lo);
    _mm512_store_pd(cache + c + 8, hi);
    accumulate(lo, hi, 0xFFFF);
  }
  for (; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    __m512d lo, hi;
    ln_input(x, residual, c, m, lo, hi);
    accumulate(lo, hi, m);
  }
  const double n = static_cast<double>(C);
  const double md = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) / n;  // mean of x - x0
  // rounding can take E[d^2] - E[d]^2 a hair below 0; NaN (an infinite input) stays NaN, as in the reference
  const double var = std::max(_mm512_reduce_add_pd(_mm512_add_pd(q0, q1)) / n - md * md, 0.0);
  const double mu = shift + md;
  const double rs = 1 / std::sqrt(var + eps);
  const __m512d vmu = _mm512_set1_pd(mu), vrs = _mm512_set1_pd(rs);
  uint64_t words[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  // the packs' fields in locals (the stores to y could alias them otherwise, and each would be reloaded per block)
  const float* pt[8];
  uint32_t* po[8];
  __m512 pthr[8];
  for (int p = 0; p < npacks && p < 8; p++) {
    pt[p] = packs[p].t;
    po[p] = packs[p].out;
    pthr[p] = _mm512_set1_ps(packs[p].thrF);
  }
  const auto pack = [&](int p, int64_t c, __m512 out, __mmask16 m, int lane) {
    const __m512 th = pt[p] == nullptr ? pthr[p] : _mm512_maskz_loadu_ps(m, pt[p] + c);
    words[p] |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(m, out, th, _CMP_GE_OQ)) << (16 * lane);
  };
  const auto flush = [&](int p, int64_t c) {
    po[p][2 * (c / 64)] = static_cast<uint32_t>(words[p]);
    po[p][2 * (c / 64) + 1] = static_cast<uint32_t>(words[p] >> 32);
    words[p] = 0;
  };
  const auto output = [&](int64_t c, __m512d lo, __m512d hi, __mmask16 m) {
    __m512d g0, g1, b0, b1;
    if constexpr (std::is_same<GB, double>::value) {
      g0 = _mm512_maskz_loadu_pd(static_cast<__mmask8>(m), gamma + c);
      g1 = _mm512_maskz_loadu_pd(static_cast<__mmask8>(m >> 8), gamma + c + 8);
      b0 = _mm512_maskz_loadu_pd(static_cast<__mmask8>(m), beta + c);
      b1 = _mm512_maskz_loadu_pd(static_cast<__mmask8>(m >> 8), beta + c + 8);
    } else {
      const __m512 g = _mm512_maskz_loadu_ps(m, gamma + c), b = _mm512_maskz_loadu_ps(m, beta + c);
      g0 = _mm512_cvtps_pd(_mm512_castps512_ps256(g));
      g1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(g), 1)));
      b0 = _mm512_cvtps_pd(_mm512_castps512_ps256(b));
      b1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1)));
    }
    lo = _mm512_add_pd(_mm512_mul_pd(_mm512_mul_pd(_mm512_sub_pd(lo, vmu), vrs), g0), b0);
    hi = _mm512_add_pd(_mm512_mul_pd(_mm512_mul_pd(_mm512_sub_pd(hi, vmu), vrs), g1), b1);
    const __m512 out = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    _mm512_mask_storeu_ps(y + c, m, out);
    const int lane = static_cast<int>((c % 64) / 16);
    const bool wordDone = lane == 3 || c + 16 >= C;  // a 64-column word is complete
    if constexpr (NP >= 0) {
      static_for<NP>([&](auto p) { pack(p, c, out, m, lane); });
      if (wordDone) static_for<NP>([&](auto p) { flush(p, c); });
    } else {
      for (int p = 0; p < npacks; p++) pack(p, c, out, m, lane);
      if (wordDone)
        for (int p = 0; p < npacks; p++) flush(p, c);
    }
  };
  for (c = 0; c < cached; c += 16) output(c, _mm512_load_pd(cache + c), _mm512_load_pd(cache + c + 8), 0xFFFF);
  for (; c < C; c += 16) {
    const __mmask16 m = tail_mask(C - c);
    __m512d lo, hi;
    ln_input(x, residual, c, m, lo, hi);
    output(c, lo, hi, m);
  }
  if (meanOut != nullptr) *meanOut = static_cast<float>(mu);
  if (rstdOut != nullptr) *rstdOut = static_cast<float>(rs);
}

void layer_norm_row(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                    int64_t C, double eps) {
  ln_row<float, 0>(y, mean, rstd, x, nullptr, gamma, beta, C, eps, nullptr, 0);
}

void residual_layer_norm_row(float* y, const float* x, const float* residual, const double* gamma, const double* beta,
                             int64_t C, double eps, const RowPack* packs, int npacks) {
  switch (npacks) {
    case 0: ln_row<double, 0>(y, nullptr, nullptr, x, residual, gamma, beta, C, eps, packs, npacks); break;
    case 1: ln_row<double, 1>(y, nullptr, nullptr, x, residual, gamma, beta, C, eps, packs, npacks); break;
    case 2: ln_row<double, 2>(y, nullptr, nullptr, x, residual, gamma, beta, C, eps, packs, npacks); break;
    case 3: ln_row<double, 3>(y, nullptr, nullptr, x, residual, gamma, beta, C, eps, packs, npacks); break;
    default: ln_row<double, -1>(y, nullptr, nullptr, x, residual, gamma, beta, C, eps, packs, npacks);
  }
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
const PathOps kOps = {"avx512",    gemm,        pack_bits,  binary_gemm,   aq_forward,     aq_backward,
                      sign_select, stream_sums, adamw,      softmax_row,   layer_norm_row, binary_gemm_bits,
                      pack_bits_t_avx512, pack_row, attention_bits, residual_layer_norm_row};
}
const PathOps* path_avx512() { return &kOps; }
}  // namespace bk

#else
namespace bk {
const PathOps* path_avx512() { return nullptr; }
}  // namespace bk
#endif
