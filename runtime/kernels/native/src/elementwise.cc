// Element-wise, normalisation, embedding, reduction, quantizer and optimiser kernels (see elementwise.h).
// Row-wise kernels run rows in parallel with exactly the reference's per-row arithmetic (bit-identical results);
// accumulations into float32 gradients keep the reference's order (parallel over columns, rows in order);
// reductions to one number sum fixed chunks in double and add the chunk sums in order (independent of threads).
#include "elementwise.h"

#include <cmath>
#include <cstdint>
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

/** Sum of g(x[i]) over [0, n) in double: chunks of kChunk summed in order, chunk sums added in order. */
template <class G>
double reduce(const float* x, int64_t n, int threads, const G& g) {
  const int64_t chunks = ceil_div(n, kChunk);
  if (chunks <= 1) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += g(x[i]);
    return s;
  }
  std::vector<double> part(static_cast<size_t>(chunks));
  par_range(threads, chunks, n >= 4 * kGrain ? 1 : chunks, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      double s = 0;
      const int64_t e = imin(n, (c + 1) * kChunk);
      for (int64_t i = c * kChunk; i < e; i++) s += g(x[i]);
      part[static_cast<size_t>(c)] = s;
    }
  });
  double s = 0;
  for (double p : part) s += p;
  return s;
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

inline double normalCdf(double x) { return 0.5 * std::erfc(-x * kInvSqrt2); }
inline double normalPdf(double x) { return kInvSqrt2Pi * std::exp(-0.5 * x * x); }

/** Round half to even (default rounding mode), never -0: the reference's roundHalfEven. */
inline double roundHalfEven(double v) {
  const double r = std::nearbyint(v);
  return r == 0 ? 0.0 : r;
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
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
      if (x[i] > 0) dX[i] += dY[i];
  });
}

void geluForward(float* y, const float* x, int64_t n, int threads) {
  par_range(threads, n, kGrain / 8, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double v = x[i];
      y[i] = static_cast<float>(v * normalCdf(v));
    }
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

void softmaxForward(float* y, const float* x, const float* maskBias, double scale, int64_t R, int64_t C,
                    int64_t rowsPerMask, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain / 8, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      const float* mr = maskBias == nullptr ? nullptr : maskBias + (r / rowsPerMask) * C;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < C; c++) {
        const double z = mr == nullptr ? xr[c] * scale : xr[c] * scale + mr[c];
        if (z > max) max = z;
      }
      double sum = 0;
      for (int64_t c = 0; c < C; c++) {
        const double z = mr == nullptr ? xr[c] * scale : xr[c] * scale + mr[c];
        const double e = std::exp(z - max);
        yr[c] = static_cast<float>(e);
        sum += e;
      }
      const double inv = 1 / sum;
      for (int64_t c = 0; c < C; c++) yr[c] = static_cast<float>(yr[c] * inv);
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

void layerNormForward(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                      int64_t R, int64_t C, double eps, int threads) {
  if (C == 0) return;
  par_range(threads, R, imin(R, ceil_div(kGrain / 2, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      double s = 0;
      for (int64_t c = 0; c < C; c++) s += xr[c];
      const double mu = s / static_cast<double>(C);
      double ss = 0;
      for (int64_t c = 0; c < C; c++) {
        const double d = xr[c] - mu;
        ss += d * d;
      }
      const double rs = 1 / std::sqrt(ss / static_cast<double>(C) + eps);
      for (int64_t c = 0; c < C; c++) yr[c] = static_cast<float>((xr[c] - mu) * rs * gamma[c] + beta[c]);
      mean[r] = static_cast<float>(mu);
      rstd[r] = static_cast<float>(rs);
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

double sum(const float* x, int64_t n, int threads) {
  return reduce(x, n, threads, [](float v) { return static_cast<double>(v); });
}

double sumAbs(const float* x, int64_t n, int threads) {
  return reduce(x, n, threads, [](float v) { return std::fabs(static_cast<double>(v)); });
}

double sumSquares(const float* x, int64_t n, int threads) {
  return reduce(x, n, threads, [](float v) {
    const double d = v;
    return d * d;
  });
}

double minOf(const float* x, int64_t n, int threads) {
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

double binarizeWeight(float* wb, const float* w, int64_t n, bool centred, int threads) {
  if (n == 0) return 0;
  const double s = centred ? sum(w, n, threads) : 0;
  const double sa = sumAbs(w, n, threads);
  const double centre = centred ? s / static_cast<double>(n) : 0;
  const double alpha = sa / static_cast<double>(n);
  const float pos = static_cast<float>(alpha), neg = static_cast<float>(-alpha);
  par_range(threads, n, 4 * kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) wb[i] = w[i] - centre >= 0 ? pos : neg;
  });
  return alpha;
}

void binarizeRows(float* eb, float* rowScale, const float* e, int64_t R, int64_t C, bool centred, int threads) {
  const int64_t n = R * C;
  double centre = 0;
  if (centred && n > 0) centre = sum(e, n, threads) / static_cast<double>(n);
  par_range(threads, R, C > 0 ? imin(R, ceil_div(kGrain, C)) : R, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* er = e + r * C;
      double sa = 0;
      for (int64_t j = 0; j < C; j++) sa += std::fabs(static_cast<double>(er[j]));
      const double sc = C > 0 ? sa / static_cast<double>(C) : 0;
      rowScale[r] = static_cast<float>(sc);
      const float pos = static_cast<float>(sc), neg = static_cast<float>(-sc);
      for (int64_t j = 0; j < C; j++) eb[r * C + j] = er[j] - centre >= 0 ? pos : neg;
    }
  });
}

void actQuantForward(float* y, const float* x, const float* shift, double a, bool signed1, double qn, double qp,
                     double offset, int64_t R, int64_t C, int threads) {
  if (C == 0) return;
  const float pos = static_cast<float>(a), neg = static_cast<float>(-a);
  par_range(threads, R, imin(R, ceil_div(kGrain / 2, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; c++) {
        const double u = shift == nullptr ? static_cast<double>(xr[c])
                                          : static_cast<double>(xr[c]) + static_cast<double>(shift[c]);
        if (signed1) {
          yr[c] = u >= 0 ? pos : neg;
        } else {
          double q = roundHalfEven((u - offset) / a);
          if (q < qn) q = qn;
          else if (q > qp) q = qp;
          yr[c] = static_cast<float>(a * q + offset);
        }
      }
    }
  });
}

double actQuantBackward(float* dX, float* dShift, const float* dY, const float* x, const float* shift, double a,
                        bool signed1, double qn, double qp, double offset, int64_t R, int64_t C) {
  const int64_t N = R * C;
  if (N == 0) return 0;
  double dA = 0;
  for (int64_t r = 0; r < R; r++) {
    const int64_t row = r * C;
    for (int64_t c = 0; c < C; c++) {
      const float g = dY[row + c];
      const double u = shift == nullptr ? static_cast<double>(x[row + c])
                                        : static_cast<double>(x[row + c]) + static_cast<double>(shift[c]);
      bool pass;
      if (signed1) {
        dA += u >= 0 ? g : -g;
        pass = u >= -a && u <= a;
      } else {
        const double v = (u - offset) / a;
        if (v < qn) {
          dA += qn * g;
          pass = false;
        } else if (v > qp) {
          dA += qp * g;
          pass = false;
        } else {
          dA += (roundHalfEven(v) - v) * g;
          pass = true;
        }
      }
      if (pass) {
        dX[row + c] += g;
        if (dShift != nullptr) dShift[c] += g;
      }
    }
  }
  return signed1 ? dA / std::sqrt(static_cast<double>(N)) : dA / std::sqrt(static_cast<double>(N) * qp);
}

void adamw(float* param, const float* grad, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
           double eps, double weightDecay, double bc1, double bc2, int threads) {
  par_range(threads, n, kGrain / 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double g = grad[i];
      const double mi = beta1 * m[i] + (1 - beta1) * g;
      const double vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = static_cast<float>(mi);
      v[i] = static_cast<float>(vi);
      const double p = param[i];
      param[i] = static_cast<float>(p - lr * ((mi / bc1) / (std::sqrt(vi / bc2) + eps) + weightDecay * p));
    }
  });
}

}  // namespace bk
