// The portable path: plain C++ (the compiler's baseline vectorisation only), for any CPU. Also the fallback that
// the faster paths are tested against besides the TS reference.
#include <cmath>
#include <cstdint>
#include <limits>

#include "common.h"

namespace bk {
namespace {

constexpr int64_t MR = 4, NR = 8, MC_MAX = 128, NC_MAX = 512, KC_MAX = 256;  // 8 SSE accumulators

void ukernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, bool acc) {
  float t[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int64_t r = 0; r < MR; r++) {
      const float ar = a[k * MR + r];
      for (int64_t j = 0; j < NR; j++) t[r][j] += ar * b[k * NR + j];
    }
  }
  for (int64_t r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    if (acc) {
      for (int64_t j = 0; j < NR; j++) cr[j] += t[r][j];
    } else {
      for (int64_t j = 0; j < NR; j++) cr[j] = t[r][j];
    }
  }
}

constexpr int64_t GL = 4;
constexpr int BR = 2, BQ = 1;

struct BinEpilogue;
template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e);

#define BK_SOFTMAX_PACK_ROW 0
#define BK_AVX_TRANSPOSE 0
void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K);
// the plain C++ softmax row (common.h), under the name the driver uses
inline void softmax_row(float* y, const float* x, const float* mask, double scale, int64_t C) {
  scalar::softmaxRow(y, x, mask, scale, C);
}

#include "gemm_driver.inc"

// 64-bit popcount: the builtin where it is one instruction (POPCNT, ARM's CNT), else SWAR (faster than libgcc's call).
inline int64_t popcount64(uint64_t x) {
#if defined(__x86_64__) && !defined(__POPCNT__)
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int64_t>((x * 0x0101010101010101ull) >> 56);
#else
  return __builtin_popcountll(x);
#endif
}

template <int R, int Q, bool U>
void bkern(const uint32_t* a, int64_t lda32, const uint64_t* bp, int64_t W, float* c, int64_t ldc, int64_t ncols,
           const BinEpilogue& e) {
  int64_t pop[R][Q * GL] = {};
  for (int64_t w = 0; w < W; w++) {
    for (int r = 0; r < R; r++) {
      const uint64_t av = ld64(a + r * lda32 + 2 * w);
      for (int q = 0; q < Q; q++) {
        const uint64_t* b = bp + (q * W + w) * GL;
        for (int l = 0; l < GL; l++) pop[r][q * GL + l] += popcount64(U ? (av & b[l]) : (av ^ b[l]));
      }
    }
  }
  for (int r = 0; r < R; r++) {
    for (int64_t j = 0; j < ncols; j++) {
      const int64_t dot = U ? 2 * pop[r][j] - e.popP[r] : e.K - 2 * pop[r][j];
      c[r * ldc + j] = bin_out(e.scale, dot, e.colScale, e.bias, j);
    }
  }
}

void pack_row(uint32_t* o, const float* x, const float* t, float thrF, int64_t K) {
  const int64_t W = ceil_div(K, 64);
  for (int64_t h = 0; h < 2 * W; h++) {
    const int64_t k0 = h * 32, k1 = imin(K, k0 + 32);
    uint32_t bits = 0;
    for (int64_t k = k0; k < k1; k++)
      if (x[k] >= (t == nullptr ? thrF : t[k])) bits |= 1u << (k - k0);
    o[h] = bits;
  }
}

}  // namespace

// ------------------------------------------------------------------ element-wise spans (plain C++)
namespace scalar {
namespace {

/**
 * Round half to even, never -0 (the reference's roundHalfEven): the same value as nearbyint in the default rounding
 * mode, without the libm call. |v| < 2^52: adding 2^52 rounds |v| to an integer (ulp 1 there, ties to even) and the
 * subtraction is exact; larger magnitudes, infinities and NaN are returned as they are. + 0.0 turns -0 into +0.
 */
inline double roundHalfEven(double v) {
  constexpr double kTwo52 = 4503599627370496.0;
  const double av = std::fabs(v);
  if (!(av < kTwo52)) return v;
  return std::copysign((av + kTwo52) - kTwo52, v) + 0.0;
}

}  // namespace

void aqForward(float* y, const float* x, const float* shift, const AqParams& q, int64_t n) {
  for (int64_t c = 0; c < n; c++) {
    const double u = shift == nullptr ? static_cast<double>(x[c]) : static_cast<double>(x[c]) + static_cast<double>(shift[c]);
    if (q.signed1) {
      y[c] = u >= 0 ? q.pos : q.neg;
    } else {
      double r = roundHalfEven((u - q.offset) / q.a);
      if (r < q.qn) r = q.qn;
      else if (r > q.qp) r = q.qp;
      y[c] = static_cast<float>(q.a * r + q.offset);
    }
  }
}

double aqBackward(float* dX, float* dShift, const float* dY, const float* x, const float* shift, const AqParams& q,
                  int64_t n, double dA) {
  for (int64_t c = 0; c < n; c++) {
    const float g = dY[c];
    const double u = shift == nullptr ? static_cast<double>(x[c]) : static_cast<double>(x[c]) + static_cast<double>(shift[c]);
    bool pass;
    if (q.signed1) {
      dA += u >= 0 ? g : -g;
      pass = u >= -q.a && u <= q.a;
    } else {
      const double v = (u - q.offset) / q.a;
      if (v < q.qn) {
        dA += q.qn * g;
        pass = false;
      } else if (v > q.qp) {
        dA += q.qp * g;
        pass = false;
      } else {
        dA += (roundHalfEven(v) - v) * g;
        pass = true;
      }
    }
    if (pass) {
      dX[c] += g;
      if (dShift != nullptr) dShift[c] += g;
    }
  }
  return dA;
}

void signSelect(float* out, const float* w, int64_t n, double centre, float pos, float neg) {
  for (int64_t i = 0; i < n; i++) out[i] = w[i] - centre >= 0 ? pos : neg;
}

void streamSums(const float* x, int64_t stride, int64_t len, int64_t count, double* s, double* sa, double* sq) {
  for (int64_t i = 0; i < count; i++) {
    const float* p = x + i * stride;
    double a = 0, b = 0, c = 0;
    for (int64_t j = 0; j < len; j++) {
      const double d = p[j];
      a += d;
      b += std::fabs(d);
      c += d * d;
    }
    if (s != nullptr) s[i] = a;
    if (sa != nullptr) sa[i] = b;
    if (sq != nullptr) sq[i] = c;
  }
}

void adamw(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  for (int64_t i = 0; i < n; i++) {
    const double g = grad[i];
    const double mi = p.beta1 * m[i] + p.c1 * g;
    const double vi = p.beta2 * v[i] + p.c2 * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    const double w = param[i];
    param[i] = static_cast<float>(w - p.lr * ((mi / p.bc1) / (std::sqrt(vi / p.bc2) + p.eps) + p.weightDecay * w));
  }
}

void softmaxRow(float* y, const float* x, const float* mask, double scale, int64_t C) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < C; c++) {
    const double z = mask == nullptr ? x[c] * scale : x[c] * scale + mask[c];
    if (z > max) max = z;
  }
  double sum = 0;
  for (int64_t c = 0; c < C; c++) {
    const double z = mask == nullptr ? x[c] * scale : x[c] * scale + mask[c];
    const double e = std::exp(z - max);
    y[c] = static_cast<float>(e);
    sum += e;
  }
  const double inv = 1 / sum;
  for (int64_t c = 0; c < C; c++) y[c] = static_cast<float>(y[c] * inv);
}

void layerNormRow(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta, int64_t C,
                  double eps) {
  double s = 0;
  for (int64_t c = 0; c < C; c++) s += x[c];
  const double mu = s / static_cast<double>(C);
  double ss = 0;
  for (int64_t c = 0; c < C; c++) {
    const double d = x[c] - mu;
    ss += d * d;
  }
  const double rs = 1 / std::sqrt(ss / static_cast<double>(C) + eps);
  for (int64_t c = 0; c < C; c++) y[c] = static_cast<float>((x[c] - mu) * rs * gamma[c] + beta[c]);
  *mean = static_cast<float>(mu);
  *rstd = static_cast<float>(rs);
}

}  // namespace scalar

const PathOps* path_portable() {
  static const PathOps ops = {"portable", gemm, pack_bits, binary_gemm, scalar::aqForward, scalar::aqBackward,
                              scalar::signSelect, scalar::streamSums, scalar::adamw, scalar::softmaxRow,
                              scalar::layerNormRow, binary_gemm_bits, pack_bits_t, pack_row, attention_bits, nullptr};
  return &ops;
}

}  // namespace bk
