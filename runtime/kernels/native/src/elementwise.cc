// Element-wise, normalisation, embedding, reduction, quantizer and optimiser kernels (see elementwise.h).
// Row-wise kernels run rows in parallel with exactly the reference's per-row arithmetic (bit-identical results);
// accumulations into float32 gradients keep the reference's order (parallel over columns, rows in order);
// reductions to one number sum fixed chunks in double and add the chunk sums in order (independent of threads).
#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "common.h"

namespace bk {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/** f(begin, end) over [0, n) in chunks of at least `grain`, in parallel when there are several chunks. */
template <class F>
void par_range(int threads, int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
  if (threads <= 1 || n <= grain) {
    f(static_cast<int64_t>(0), n);
    return;
  }
  int64_t chunks = imin(ceil_div(n, grain), 4 * static_cast<int64_t>(threads));
  struct Ctx {
    const F* f;
    int64_t n, chunk;
  } ctx{&f, n, ceil_div(n, chunks)};
  parallel_tasks(threads, ceil_div(n, ctx.chunk), [](void* c, int64_t t, int) {
    const Ctx& x = *static_cast<const Ctx*>(c);
    (*x.f)(t * x.chunk, imin(x.n, (t + 1) * x.chunk));
  }, &ctx);
}

constexpr int64_t kGrain = 1 << 15;  // element-wise work below this runs on the calling thread
constexpr int64_t kChunk = 1 << 14;  // fixed reduction chunk (summation order independent of the thread count)

constexpr int64_t kPar = 1 << 16;  // the quantizer, reduction and optimiser kernels split work in tasks of >= this

struct Sums {
  double s = 0, sa = 0, sq = 0;
};

/**
 * Sums in double of x, |x| and/or x*x (want: 1, 2, 4) over [0, n): chunks of kChunk, each summed element by element
 * in order (ops->streamSums, 8 chunks at a time in the SIMD paths), chunk sums added in order; independent of the
 * thread count and identical on every path.
 */
Sums reduce(const PathOps* ops, const float* x, int64_t n, int threads, int want) {
  Sums r;
  double* s = (want & 1) ? &r.s : nullptr;
  double* sa = (want & 2) ? &r.sa : nullptr;
  double* sq = (want & 4) ? &r.sq : nullptr;
  const int64_t full = n / kChunk, rem = n - full * kChunk;
  if (full + (rem > 0 ? 1 : 0) <= 1) {
    if (n > 0) ops->streamSums(x, n, n, 1, s, sa, sq);
    return r;
  }
  const int64_t chunks = full + (rem > 0 ? 1 : 0);
  std::vector<double> ps(s != nullptr ? chunks : 0), pa(sa != nullptr ? chunks : 0), pq(sq != nullptr ? chunks : 0);
  auto at = [](std::vector<double>& v, int64_t c) { return v.empty() ? nullptr : v.data() + c; };
  const int64_t groups = ceil_div(full, 8);  // 8 chunks (128K elements) per unit of work: one SIMD pass
  par_range(threads, groups, n >= 2 * kPar ? 1 : groups, [&](int64_t g0, int64_t g1) {
    const int64_t c0 = g0 * 8, c1 = imin(full, g1 * 8);
    ops->streamSums(x + c0 * kChunk, kChunk, kChunk, c1 - c0, at(ps, c0), at(pa, c0), at(pq, c0));
  });
  if (rem > 0) ops->streamSums(x + full * kChunk, rem, rem, 1, at(ps, full), at(pa, full), at(pq, full));
  for (int64_t c = 0; c < chunks; c++) {
    if (s != nullptr) r.s += ps[static_cast<size_t>(c)];
    if (sa != nullptr) r.sa += pa[static_cast<size_t>(c)];
    if (sq != nullptr) r.sq += pq[static_cast<size_t>(c)];
  }
  return r;
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

inline double normalCdf(double x) { return 0.5 * std::erfc(-x * kInvSqrt2); }
inline double normalPdf(double x) { return kInvSqrt2Pi * std::exp(-0.5 * x * x); }

// ---- the GELU forward in float, branch-free so that the compiler vectorizes its loop (libm's erfc does not)
//
// The kernels' contract for GELU is 1e-5 relative to the reference's double erfc; this stays within about 3e-6 where
// |y| > 1e-7 (below that the values are under 1e-12 absolute). Only the forward is in float: the backward
// accumulates into dX, where a small relative error in the derivative would be magnified by cancellation.

/** exp(a) for a <= ~0, float: 2^n * exp(r), r = a - n ln2 in two steps (|r| <= ln2/2), exp(r) by Taylor to r^7
 *  (error r^8/8! < 6e-9). a below -87 is taken as -87, keeping 2^n normal; those results are below 2e-38. */
inline float expNonPos(float a) {
  a = std::max(a, -87.0f);  // NaN passes through (std::max returns its first argument unless it is below)
  const float kRound = 12582912.0f;  // 1.5 * 2^23: adding it leaves round(a / ln2) in the low mantissa bits
  const float t = a * 1.44269504088896341f + kRound;
  const float nf = t - kRound;
  float r = a - nf * 0.693145751953125f;  // ln 2, high part (exact products for |n| < 2^12)
  r = r - nf * 1.42860682030941723e-6f;   // ln 2, low part
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t ti;
  std::memcpy(&ti, &t, sizeof ti);
  const int32_t scaleBits = (ti - 0x4B400000 + 127) * (1 << 23);  // 2^n as a float's bits
  float s;
  std::memcpy(&s, &scaleBits, sizeof s);
  return p * s;
}

/** x * Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 and erfc(z), z >= 0, by the Chebyshev-fitted form of Numerical
 *  Recipes (2nd ed., erfcc: t exp(-z^2 + P(t)), t = 1 / (1 + z/2), fractional error < 1.2e-7 everywhere): accurate
 *  relative to Phi in the lower tail, where y is small. z^2 is taken as x * x / 2, which rounds once. */
inline float geluFloat(float x) {
  const float z = std::fabs(x) * 0.707106781186547524f;
  const float t = 1.0f / (1.0f + 0.5f * z);
  float q = 0.17087277f;
  q = q * t - 0.82215223f;
  q = q * t + 1.48851587f;
  q = q * t - 1.13520398f;
  q = q * t + 0.27886807f;
  q = q * t - 0.18628806f;
  q = q * t + 0.09678418f;
  q = q * t + 0.37409196f;
  q = q * t + 1.00002368f;
  q = q * t - 1.26551223f;
  const float e = t * expNonPos(-(0.5f * (x * x)) + q);  // erfc(|x| / sqrt 2)
  const float upper = 1.0f - 0.5f * e, lower = 0.5f * e;
  return x * (x >= 0 ? upper : lower);
}

}  // namespace

void addBias(float* y, const float* x, const float* bias, int64_t R, int64_t C, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      for (int64_t c = 0; c < C; c++) y[r * C + c] = x[r * C + c] + bias[c];
  });
}

void addBiasBackward(float* dBias, const float* dY, int64_t R, int64_t C, int threads) {
  // columns in blocks of 256, each summed over the rows in order in double, as the reference does
  constexpr int64_t CB = 256;
  par_range(threads, ceil_div(C, CB), R * CB >= kGrain ? 1 : ceil_div(C, CB), [&](int64_t b0, int64_t b1) {
    double s[CB];
    for (int64_t b = b0; b < b1; b++) {
      const int64_t c0 = b * CB, nc = imin(CB, C - c0);
      for (int64_t j = 0; j < nc; j++) s[j] = 0;
      for (int64_t r = 0; r < R; r++) {
        const float* row = dY + r * C + c0;
        for (int64_t j = 0; j < nc; j++) s[j] += row[j];
      }
      for (int64_t j = 0; j < nc; j++) dBias[c0 + j] = static_cast<float>(dBias[c0 + j] + s[j]);
    }
  });
}

void add(float* y, const float* a, const float* b, int64_t n, int threads) {
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = a[i] + b[i];
  });
}

void scale(float* y, const float* x, double s, int64_t n, int threads) {
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = static_cast<float>(static_cast<double>(x[i]) * s);
  });
}

void reluForward(float* y, const float* x, int64_t n, int threads) {
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
  });
}

void reluBackward(float* dX, const float* dY, const float* x, int64_t n, int threads) {
  // a select rather than a branch, so that the loop vectorizes; where x <= 0 (or NaN) dX keeps its value, -0 included
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float d = dX[i], g = dY[i];
      dX[i] = x[i] > 0 ? d + g : d;
    }
  });
}

void geluForward(float* y, const float* x, int64_t n, int threads) {
  par_range(threads, n, kGrain / 2, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = geluFloat(x[i]);
  });
}

void geluBackward(float* dX, const float* dY, const float* x, int64_t n, int threads) {
  par_range(threads, n, kGrain / 8, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double v = x[i];
      dX[i] = static_cast<float>(dX[i] + static_cast<double>(dY[i]) * (normalCdf(v) + v * normalPdf(v)));
    }
  });
}

void tanhForward(float* y, const float* x, int64_t n, int threads) {
  par_range(threads, n, kGrain / 8, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
  });
}

void tanhBackward(float* dX, const float* dY, const float* y, int64_t n, int threads) {
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double t = y[i];
      dX[i] = static_cast<float>(dX[i] + static_cast<double>(dY[i]) * (1 - t * t));
    }
  });
}

void softmaxForward(const PathOps* ops, float* y, const float* x, const float* maskBias, double scale, int64_t R,
                    int64_t C, int64_t rowsPerMask, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain / 8, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* mr = maskBias == nullptr ? nullptr : maskBias + (r / rowsPerMask) * C;
      ops->softmaxRow(y + r * C, x + r * C, mr, scale, C);
    }
  });
}

void softmaxBackward(float* dX, const float* dY, const float* y, double scale, int64_t R, int64_t C, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* g = dY + r * C;
      const float* yr = y + r * C;
      float* d = dX + r * C;
      double dot = 0;
      for (int64_t c = 0; c < C; c++) dot += static_cast<double>(g[c]) * yr[c];
      for (int64_t c = 0; c < C; c++) d[c] = static_cast<float>(d[c] + scale * yr[c] * (g[c] - dot));
    }
  });
}

void layerNormForward(const PathOps* ops, float* y, float* mean, float* rstd, const float* x, const float* gamma,
                      const float* beta, int64_t R, int64_t C, double eps, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain / 2, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) ops->layerNormRow(y + r * C, mean + r, rstd + r, x + r * C, gamma, beta, C, eps);
  });
}

float floatAtLeast(double thr) {
  float t = static_cast<float>(thr);
  if (static_cast<double>(t) < thr) t = std::nextafter(t, INFINITY);
  return t;
}

namespace {
// Floats in value order as unsigned keys (-Inf .. -0, +0 .. +Inf ascending; NaNs fall outside that range).
inline uint32_t orderKey(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}
inline float fromKey(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) != 0 ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace

namespace {
// The packed engine calls the fused kernels with the same (shift, threshold) pairs on every forward, about 70 of
// them for BERT-base (150 for BERT-large), and computing the thresholds costs ~5 ns per column: ~0.5 ms of a 15 ms
// batch-1 forward. So each thread keeps the latest ones, keyed by the shift's values themselves (a copy, compared in
// full, so a changed or reused buffer can never hit a stale entry), for rows up to kCacheMaxN columns: at most
// 256 x 4096 x 8 bytes = 8 MiB per thread that calls the kernels.
constexpr size_t kCacheEntries = 256;
constexpr int64_t kCacheMaxN = 4096;

struct ThresholdEntry {
  std::vector<float> shift;
  uint64_t thrBits;
  std::vector<float> t;
  uint64_t used;
};

uint64_t bitsOf(double v) {
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

std::vector<float> computePackThresholds(const float* shift, double thr, int64_t n);
}  // namespace

std::vector<float> packThresholds(const float* shift, double thr, int64_t n) {
  if (shift == nullptr) return std::vector<float>();
  if (n > kCacheMaxN) return computePackThresholds(shift, thr, n);
  thread_local std::vector<ThresholdEntry> cache;
  thread_local uint64_t clock = 0;
  const uint64_t tb = bitsOf(thr);
  for (ThresholdEntry& e : cache) {
    if (e.thrBits == tb && static_cast<int64_t>(e.shift.size()) == n &&
        std::memcmp(e.shift.data(), shift, sizeof(float) * static_cast<size_t>(n)) == 0) {
      e.used = ++clock;
      return e.t;
    }
  }
  ThresholdEntry fresh{std::vector<float>(shift, shift + n), tb, computePackThresholds(shift, thr, n), ++clock};
  if (cache.size() < kCacheEntries) {
    cache.push_back(std::move(fresh));
    return cache.back().t;
  }
  ThresholdEntry* oldest = &cache[0];
  for (ThresholdEntry& e : cache)
    if (e.used < oldest->used) oldest = &e;
  *oldest = std::move(fresh);
  return oldest->t;
}

namespace {
std::vector<float> computePackThresholds(const float* shift, double thr, int64_t n) {
  std::vector<float> t;
  t.resize(static_cast<size_t>(n));
  const uint32_t lo0 = orderKey(-INFINITY), hi0 = orderKey(INFINITY);
  for (int64_t k = 0; k < n; k++) {
    const double s = shift[k];
    const auto pass = [&](float x) { return static_cast<double>(x) + s >= thr; };
    if (!pass(INFINITY)) {
      t[k] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    if (pass(-INFINITY)) {
      t[k] = -INFINITY;
      continue;
    }
    // The answer is the first passing key in (key(-Inf), key(+Inf)]. Start next to thr - s, which is within a few
    // ulps of it unless the sum absorbs x; walk at most 8 keys each way, else bisect (the predicate is monotone).
    uint32_t lo = lo0, hi = hi0;  // pass(lo) false, pass(hi) true
    const float guess = static_cast<float>(thr - s);
    if (std::isfinite(guess)) {
      uint32_t g = orderKey(guess);
      if (pass(guess)) {
        hi = g;
        for (int i = 0; i < 8 && hi > lo0 + 1; i++) {
          if (pass(fromKey(hi - 1))) hi--;
          else { lo = hi - 1; break; }
        }
      } else {
        lo = g;
        for (int i = 0; i < 8 && lo + 1 < hi0; i++) {
          if (!pass(fromKey(lo + 1))) lo++;
          else { hi = lo + 1; break; }
        }
      }
    }
    while (hi - lo > 1) {
      const uint32_t mid = lo + (hi - lo) / 2;
      if (pass(fromKey(mid))) hi = mid;
      else lo = mid;
    }
    t[k] = fromKey(hi);
  }
  return t;
}
}  // namespace

namespace {
// residualLayerNorm's rows, set up once per call (the packs' thresholds, gamma and beta widened for the path's
// one-kernel row) and shared by the kernels that end in it.
struct LayerNormRows {
  const PathOps* ops;
  float* y;
  const float* gamma;
  const float* beta;
  int64_t C, u32;
  double eps;
  const PackSpec* packs;
  int np;
  float thrF[8];
  std::vector<float> tv[8];
  std::vector<double> gd, bd;  // only for the path's residualLayerNormRow

  LayerNormRows(const PathOps* o, float* out, const float* g, const float* b, int64_t cols, double e, const PackSpec* p,
                int npacks)
      : ops(o), y(out), gamma(g), beta(b), C(cols), u32(2 * ((cols + 63) / 64)), eps(e), packs(p), np(npacks < 8 ? npacks : 8) {
    for (int i = 0; i < np; i++) {
      thrF[i] = floatAtLeast(packs[i].threshold);
      tv[i] = packThresholds(packs[i].shift, packs[i].threshold, C);
    }
    if (ops->residualLayerNormRow != nullptr) {
      gd.assign(gamma, gamma + C);
      bd.assign(beta, beta + C);
    }
  }

  // Output row r from x (+ residual, nullable): the path's one-kernel row, else the float32 add into `sum` (C floats,
  // may be x itself), the path's LayerNorm row and its packs.
  void run(int64_t r, const float* x, const float* residual, float* sum) const {
    if (ops->residualLayerNormRow != nullptr) {
      RowPack rp[8];
      for (int i = 0; i < np; i++) rp[i] = RowPack{packs[i].bits + r * u32, tv[i].empty() ? nullptr : tv[i].data(), thrF[i]};
      ops->residualLayerNormRow(y + r * C, x, residual, gd.data(), bd.data(), C, eps, rp, np);
      return;
    }
    const float* in = x;
    if (residual != nullptr) {
      for (int64_t c = 0; c < C; c++) sum[c] = x[c] + residual[c];
      in = sum;
    }
    float mean, rstd;
    ops->layerNormRow(y + r * C, &mean, &rstd, in, gamma, beta, C, eps);
    for (int i = 0; i < np; i++)
      ops->packRow(packs[i].bits + r * u32, y + r * C, tv[i].empty() ? nullptr : tv[i].data(), thrF[i], C);
  }
};
}  // namespace

void residualLayerNorm(const PathOps* ops, float* y, const float* x, const float* residual, const float* gamma,
                       const float* beta, int64_t R, int64_t C, double eps, const PackSpec* packs, int npacks,
                       int threads) {
  if (C == 0) return;
  const LayerNormRows rows(ops, y, gamma, beta, C, eps, packs, npacks);
  par_range(threads, R, imin(R, ceil_div(kGrain / 2, C)), [&](int64_t r0, int64_t r1) {
    // the row's float32 sum (add's operation) in a per-thread buffer that stays in L1
    float* u = static_cast<float*>(thread_scratch(1, sizeof(float) * static_cast<size_t>(C)));
    for (int64_t r = r0; r < r1; r++) rows.run(r, x + r * C, residual == nullptr ? nullptr : residual + r * C, u);
  });
}

void binaryGemmLayerNorm(const PathOps* ops, float* y, bool unsignedA, const uint32_t* A, const uint32_t* B, int64_t M,
                         int64_t K, int64_t N, double scale, const float* colScale, const float* bias,
                         const float* residual, const float* gamma, const float* beta, double eps,
                         const PackSpec* packs, int npacks, int threads) {
  if (M == 0 || N == 0) return;
  const LayerNormRows rows(ops, y, gamma, beta, N, eps, packs, npacks);
  const int64_t a32 = 2 * ((K + 63) / 64);
  // Row blocks: each task runs the GEMM of its rows on one thread (repacking B once per block), then the LayerNorm
  // rows while the block's output is still in its cache. One block per thread, at most 256 rows: at batch 1
  // (M = 128) a second block per thread repacked B once more for 32 rows, and measured 7-9 % slower.
  const int64_t rb = std::min<int64_t>(256, std::max<int64_t>(16, ceil_div(M, static_cast<int64_t>(threads))));
  par_range(threads, ceil_div(M, rb), 1, [&](int64_t b0, int64_t b1) {
    float* block = static_cast<float*>(thread_scratch(4, sizeof(float) * static_cast<size_t>(rb * N)));
    for (int64_t blk = b0; blk < b1; blk++) {
      const int64_t i0 = blk * rb, n = std::min(rb, M - i0);
      ops->binaryGemm(unsignedA, block, A + i0 * a32, B, n, K, N, scale, colScale, bias, 1, 1);
      for (int64_t r = 0; r < n; r++) {
        float* row = block + r * N;  // also the sum's buffer: the output row is not needed after its LayerNorm
        rows.run(i0 + r, row, residual == nullptr ? nullptr : residual + (i0 + r) * N, row);
      }
    }
  });
}

void layerNormBackward(float* dX, float* dGamma, float* dBeta, const float* dY, const float* x, const float* mean,
                       const float* rstd, const float* gamma, int64_t R, int64_t C, int threads) {
  if (C == 0) return;
  // rows in parallel: dX (reads dY, x, gamma; each row on its own)
  par_range(threads, R, imin(R, ceil_div(kGrain / 4, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t row = r * C;
      const double mu = mean[r], rs = rstd[r];
      double sumD = 0, sumDX = 0;
      for (int64_t c = 0; c < C; c++) {
        const double xh = (x[row + c] - mu) * rs;
        const double dxh = static_cast<double>(dY[row + c]) * gamma[c];
        sumD += dxh;
        sumDX += dxh * xh;
      }
      const double meanD = sumD / static_cast<double>(C), meanDX = sumDX / static_cast<double>(C);
      for (int64_t c = 0; c < C; c++) {
        const double xh = (x[row + c] - mu) * rs;
        dX[row + c] = static_cast<float>(dX[row + c] + rs * (static_cast<double>(dY[row + c]) * gamma[c] - meanD -
                                                             xh * meanDX));
      }
    }
  });
  // columns in parallel: dGamma, dBeta accumulate in float32 over the rows in order, as the reference does
  constexpr int64_t CB = 256;
  par_range(threads, ceil_div(C, CB), R * CB >= kGrain ? 1 : ceil_div(C, CB), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int64_t c0 = b * CB, c1 = imin(C, c0 + CB);
      for (int64_t r = 0; r < R; r++) {
        const int64_t row = r * C;
        const double mu = mean[r], rs = rstd[r];
        for (int64_t c = c0; c < c1; c++) {
          const double g = dY[row + c];
          const double xh = (x[row + c] - mu) * rs;
          dBeta[c] = static_cast<float>(dBeta[c] + g);
          dGamma[c] = static_cast<float>(dGamma[c] + g * xh);
        }
      }
    }
  });
}

void embeddingForward(float* y, const int32_t* ids, const float* table, int64_t n, int64_t C, int threads) {
  if (C == 0) return;
  par_range(threads, n, imin(n, ceil_div(4 * kGrain, C)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const float* src = table + static_cast<int64_t>(ids[i]) * C;
      float* dst = y + i * C;
      for (int64_t c = 0; c < C; c++) dst[c] = src[c];
    }
  });
}

namespace {
// Transposes the 64 x 64 bit matrix a[0..63] in place (row r = a[r], column c = bit c) by swapping ever smaller
// off-diagonal blocks: 32 x 32, then 16 x 16, ... (the classic recursive exchange, least-significant bit first).
inline void transpose64(uint64_t a[64]) {
  uint64_t m = 0x00000000FFFFFFFFull;
  for (int j = 32; j != 0; j >>= 1, m ^= m << j) {
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      const uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k | j] ^= t;
      a[k] ^= t << j;
    }
  }
}
}  // namespace

void transposeBits(uint32_t* out, const uint32_t* x, int64_t B, int64_t T, int64_t C, int threads) {
  const int64_t inRow = 2 * ((C + 63) / 64), outRow = 2 * ((T + 63) / 64), tBlocks = (T + 63) / 64;
  // one task per 64 rows of x: the 64 x 64 blocks across C, each written to whole 64-bit words of 64 out rows
  par_range(threads, B * tBlocks, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const int64_t b = i / tBlocks, tb = i % tBlocks;
      for (int64_t cb = 0; cb * 64 < C; cb++) {
        uint64_t a[64];
        for (int r = 0; r < 64; r++) {
          const int64_t t = tb * 64 + r;
          if (t < T) std::memcpy(&a[r], x + (b * T + t) * inRow + 2 * cb, sizeof a[r]);
          else a[r] = 0;
        }
        transpose64(a);
        for (int r = 0; r < 64 && cb * 64 + r < C; r++) std::memcpy(out + (b * C + cb * 64 + r) * outRow + 2 * tb, &a[r], sizeof a[r]);
      }
    }
  });
}

void embeddingSumBinary(float* y, const int32_t* ids, const uint32_t* bits, const float* rowScale,
                        const int32_t* positionIds, const float* position, const int32_t* typeIds, const float* type,
                        int64_t n, int64_t C, int threads) {
  const int64_t u32 = 2 * ((C + 63) / 64);
  par_range(threads, n, imin(n, ceil_div(kGrain, C > 0 ? C : 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float s = rowScale[ids[r]];
      const uint32_t* w = bits + ids[r] * u32;
      const float* p = position + positionIds[r] * C;
      const float* t = type + typeIds[r] * C;
      float* o = y + r * C;
      // -s is s with its sign bit set: the select as an XOR (random bits defeat a branch predictor)
      uint32_t sb;
      std::memcpy(&sb, &s, sizeof sb);
      for (int64_t c = 0; c < C; c++) {
        const uint32_t eb = sb ^ ((~(w[c >> 5] >> (c & 31)) & 1u) << 31);
        float e;
        std::memcpy(&e, &eb, sizeof e);
        o[c] = (e + p[c]) + t[c];  // two float32 adds, each rounded (no FMA, no excess precision on x86-64)
      }
    }
  });
}

void embeddingBackward(float* dTable, const float* dY, const int32_t* ids, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; i++) {
    float* dst = dTable + static_cast<int64_t>(ids[i]) * C;
    const float* src = dY + i * C;
    for (int64_t c = 0; c < C; c++) dst[c] += src[c];
  }
}

void heads(float* y, const float* x, int64_t B, int64_t T, int64_t NH, int64_t HS, bool merge, int threads) {
  if (HS == 0) return;
  // one task unit = one (b, t, h) vector of HS elements, indexed in [B,T,NH] order
  par_range(threads, B * T * NH, imin(B * T * NH, ceil_div(4 * kGrain, HS)), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; u++) {
      const int64_t h = u % NH, bt = u / NH, t = bt % T, b = bt / T;
      const int64_t btnh = ((b * T + t) * NH + h) * HS;
      const int64_t bnht = ((b * NH + h) * T + t) * HS;
      const float* src = x + (merge ? bnht : btnh);
      float* dst = y + (merge ? btnh : bnht);
      for (int64_t s = 0; s < HS; s++) dst[s] = src[s];
    }
  });
}

double sum(const PathOps* ops, const float* x, int64_t n, int threads) { return reduce(ops, x, n, threads, 1).s; }

double sumAbs(const PathOps* ops, const float* x, int64_t n, int threads) { return reduce(ops, x, n, threads, 2).sa; }

double sumSquares(const PathOps* ops, const float* x, int64_t n, int threads) {
  return reduce(ops, x, n, threads, 4).sq;
}

double minOf(const PathOps*, const float* x, int64_t n, int threads) {
  // per chunk: the first smallest element (strict <, as the reference), or NaN if the chunk holds one
  const int64_t chunks = ceil_div(n, kChunk);
  std::vector<double> part(static_cast<size_t>(chunks > 0 ? chunks : 1));
  par_range(threads, chunks, n >= 4 * kGrain ? 1 : chunks, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      double m = std::numeric_limits<double>::infinity();
      const int64_t e = imin(n, (c + 1) * kChunk);
      for (int64_t i = c * kChunk; i < e; i++) {
        const double v = x[i];
        if (v < m) {
          m = v;
        } else if (v != v) {
          m = std::numeric_limits<double>::quiet_NaN();
          break;
        }
      }
      part[static_cast<size_t>(c)] = m;
    }
  });
  double m = std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < chunks; c++) {
    const double v = part[static_cast<size_t>(c)];
    if (v != v) return v;
    if (v < m) m = v;
  }
  return m;
}

double binarizeWeight(const PathOps* ops, float* wb, const float* w, int64_t n, bool centred, int threads) {
  if (n == 0) return 0;
  const Sums r = reduce(ops, w, n, threads, centred ? 3 : 2);  // one pass for both sums (each in its usual order)
  const double centre = centred ? r.s / static_cast<double>(n) : 0;
  const double alpha = r.sa / static_cast<double>(n);
  const float pos = static_cast<float>(alpha), neg = static_cast<float>(-alpha);
  par_range(threads, n, kPar, [&](int64_t i0, int64_t i1) { ops->signSelect(wb + i0, w + i0, i1 - i0, centre, pos, neg); });
  return alpha;
}

void binarizeRows(const PathOps* ops, float* eb, float* rowScale, const float* e, int64_t R, int64_t C, bool centred,
                  int threads) {
  const int64_t n = R * C;
  double centre = 0;
  if (centred && n > 0) centre = reduce(ops, e, n, threads, 1).s / static_cast<double>(n);
  if (C == 0) {
    for (int64_t r = 0; r < R; r++) rowScale[r] = 0;
    return;
  }
  // rows in blocks of 64: their |e| sums (each row in order, 8 rows per SIMD pass), then the signs row by row
  constexpr int64_t RB = 64;
  const int64_t blocks = ceil_div(R, RB);
  par_range(threads, blocks, imin(blocks, ceil_div(kPar, RB * C)), [&](int64_t b0, int64_t b1) {
    double sa[RB];
    for (int64_t b = b0; b < b1; b++) {
      const int64_t r0 = b * RB, nr = imin(RB, R - r0);
      ops->streamSums(e + r0 * C, C, C, nr, nullptr, sa, nullptr);
      for (int64_t i = 0; i < nr; i++) {
        const double sc = sa[i] / static_cast<double>(C);
        rowScale[r0 + i] = static_cast<float>(sc);
        ops->signSelect(eb + (r0 + i) * C, e + (r0 + i) * C, C, centre, static_cast<float>(sc), static_cast<float>(-sc));
      }
    }
  });
}

void actQuantForward(const PathOps* ops, float* y, const float* x, const float* shift, double a, bool signed1,
                     double qn, double qp, double offset, int64_t R, int64_t C, int threads) {
  if (C == 0) return;
  const AqParams q{a, qn, qp, offset, signed1, static_cast<float>(a), static_cast<float>(-a)};
  if (shift == nullptr) {
    par_range(threads, R * C, kPar, [&](int64_t i0, int64_t i1) { ops->aqForward(y + i0, x + i0, nullptr, q, i1 - i0); });
    return;
  }
  par_range(threads, R, imin(R, ceil_div(kPar, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) ops->aqForward(y + r * C, x + r * C, shift, q, C);
  });
}

double actQuantBackward(const PathOps* ops, float* dX, float* dShift, const float* dY, const float* x,
                        const float* shift, double a, bool signed1, double qn, double qp, double offset, int64_t R,
                        int64_t C) {
  const int64_t N = R * C;
  if (N == 0) return 0;
  const AqParams q{a, qn, qp, offset, signed1, static_cast<float>(a), static_cast<float>(-a)};
  // one thread: dA is the reference's sequential sum over the elements in order
  double dA = 0;
  if (shift == nullptr && dShift == nullptr) {
    dA = ops->aqBackward(dX, nullptr, dY, x, nullptr, q, N, dA);
  } else {
    for (int64_t r = 0; r < R; r++) dA = ops->aqBackward(dX + r * C, dShift, dY + r * C, x + r * C, shift, q, C, dA);
  }
  return signed1 ? dA / std::sqrt(static_cast<double>(N)) : dA / std::sqrt(static_cast<double>(N) * qp);
}

void adamw(const PathOps* ops, float* param, const float* grad, float* m, float* v, int64_t n, double lr,
           double beta1, double beta2, double eps, double weightDecay, double bc1, double bc2, int threads) {
  const AdamParams p{lr, beta1, beta2, 1 - beta1, 1 - beta2, eps, weightDecay, bc1, bc2};
  par_range(threads, n, kPar, [&](int64_t i0, int64_t i1) { ops->adamw(param + i0, grad + i0, m + i0, v + i0, i1 - i0, p); });
}

}  // namespace bk
