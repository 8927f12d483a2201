// Packed output of a binary GEMM as integer compares (see dotThresholds in common.h).
//
// binaryGemmBits packs bit n of a row as out >= t[n], where out is bin_out's float for the row's integer dot:
// float(scale * dot), plus the bias as a float32 add. Every step there is a rounding of a monotone function of the dot
// (a product by a fixed scale, a conversion, a sum with a fixed bias), so the output is monotone in the dot whenever
// nothing turns into NaN, and the dots whose bit is set are one end of the range -Kp .. Kp: a single integer per
// column, D[n], decides every bit. A kernel then compares its integer counts with D instead of making, storing and
// packing floats (on the AVX-512 popcount GEMM that output stage is a fifth of a K = 768 product's time).
//
// D is found by bisection with bin_out's own operations, so it is exact by construction. The engine calls each
// Linear with the same (scale, bias, shift) on every forward, so the results are memoized per thread like
// packThresholds: keyed by full copies of the bias and threshold values, never by pointers.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common.h"

namespace bk {
namespace {

// The entries of one calling thread hold at most 16 MiB (bias and threshold copies and D: 12 bytes a column), the
// least recently used going first: the engine's BERT-base forward uses 60 entries and 1.3 MiB, BERT-large 120 and
// 3 MiB. Rows of more than 65,536 thresholds are not kept (the caller packs floats instead: a bisection per column
// at every call would cost more than it saves).
constexpr size_t kMaxBytes = size_t{16} << 20;
constexpr int64_t kMaxN = 65536;

struct Entry {
  uint64_t scaleBits, thrBits;
  int64_t Kp, pad, n;
  bool hasBias, hasT;
  std::vector<float> bias, t;
  bool ok, rising;
  std::vector<int32_t> D;
  uint64_t used;
  size_t bytes() const { return sizeof(float) * (bias.size() + t.size()) + sizeof(int32_t) * D.size(); }
};

uint64_t bitsOf(double v) {
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

bool sameFloats(const std::vector<float>& a, const float* b, int64_t n) {
  return static_cast<int64_t>(a.size()) == n && (n == 0 || std::memcmp(a.data(), b, sizeof(float) * static_cast<size_t>(n)) == 0);
}

bool compute(std::vector<int32_t>& D, bool& rising, double scale, int64_t Kp, int64_t pad, const float* bias,
             int64_t biasN, const float* t, float thrF, int64_t n) {
  // bin_out's scale * dot rounded to float32 for every raw dot (lut[raw + Kp]); it must be finite and monotone
  std::vector<float> lut(static_cast<size_t>(2 * Kp + 1));
  bool up = true, down = true;
  for (int64_t r = -Kp; r <= Kp; r++) {
    const float f = static_cast<float>(scale * static_cast<double>(r - pad));
    if (!std::isfinite(f)) return false;
    const size_t i = static_cast<size_t>(r + Kp);
    lut[i] = f;
    if (i > 0) {
      up = up && lut[i - 1] <= f;
      down = down && lut[i - 1] >= f;
    }
  }
  if (!up && !down) return false;
  if (bias != nullptr)
    for (int64_t j = 0; j < biasN; j++)
      if (!std::isfinite(bias[j])) return false;
  rising = up;
  D.resize(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; j++) {
    const float th = t == nullptr ? thrF : t[j];
    const float b = bias == nullptr ? 0.0f : bias[j % biasN];
    // the float32 add is addBias's double add rounded to float (53 >= 2 * 24 + 2 bits); a NaN threshold fails every
    // dot, which the bisection finds as "none"
    const auto pass = [&](int64_t r) {
      const float f = lut[static_cast<size_t>(r + Kp)];
      return (bias == nullptr ? f : f + b) >= th;
    };
    if (rising) {  // the first passing dot in [-Kp, Kp], or Kp + 1 for none
      int64_t lo = -Kp, hi = Kp + 1;
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (pass(mid)) hi = mid;
        else lo = mid + 1;
      }
      D[static_cast<size_t>(j)] = static_cast<int32_t>(lo);
    } else {  // the last passing dot, or -Kp - 1 for none
      int64_t lo = -Kp - 1, hi = Kp;
      while (lo < hi) {
        const int64_t mid = hi - (hi - lo) / 2;
        if (pass(mid)) lo = mid;
        else hi = mid - 1;
      }
      D[static_cast<size_t>(j)] = static_cast<int32_t>(lo);
    }
  }
  return true;
}

}  // namespace

bool dotThresholds(std::vector<int32_t>& D, bool& rising, double scale, int64_t Kp, int64_t padProducts,
                   const float* bias, int64_t biasN, const float* t, float thrF, int64_t n) {
  if (n > kMaxN || biasN > kMaxN) return false;
  thread_local std::vector<Entry> cache;
  thread_local uint64_t clock = 0;
  thread_local size_t held = 0;  // bytes in cache
  const uint64_t sb = bitsOf(scale), tb = t == nullptr ? bitsOf(static_cast<double>(thrF)) : 0;
  for (Entry& e : cache) {
    if (e.scaleBits == sb && e.thrBits == tb && e.Kp == Kp && e.pad == padProducts && e.n == n &&
        e.hasBias == (bias != nullptr) && e.hasT == (t != nullptr) &&
        (bias == nullptr || sameFloats(e.bias, bias, biasN)) && (t == nullptr || sameFloats(e.t, t, n))) {
      e.used = ++clock;
      if (!e.ok) return false;
      D = e.D;
      rising = e.rising;
      return true;
    }
  }
  Entry fresh;
  fresh.scaleBits = sb;
  fresh.thrBits = tb;
  fresh.Kp = Kp;
  fresh.pad = padProducts;
  fresh.n = n;
  fresh.hasBias = bias != nullptr;
  fresh.hasT = t != nullptr;
  if (bias != nullptr) fresh.bias.assign(bias, bias + biasN);
  if (t != nullptr) fresh.t.assign(t, t + n);
  fresh.rising = true;
  fresh.ok = compute(fresh.D, fresh.rising, scale, Kp, padProducts, bias, biasN, t, thrF, n);
  if (!fresh.ok) fresh.D.clear();
  fresh.used = ++clock;
  const bool ok = fresh.ok;
  if (ok) {
    D = fresh.D;
    rising = fresh.rising;
  }
  held += fresh.bytes();
  cache.push_back(std::move(fresh));
  while (held > kMaxBytes && cache.size() > 1) {
    size_t oldest = 0;
    for (size_t i = 1; i < cache.size(); i++)
      if (cache[i].used < cache[oldest].used) oldest = i;
    held -= cache[oldest].bytes();
    cache.erase(cache.begin() + static_cast<std::ptrdiff_t>(oldest));
  }
  return ok;
}

}  // namespace bk
