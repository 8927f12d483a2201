// The N-API surface of the native kernel set: argument decoding, every size checked against the typed arrays'
// lengths (respecting their byteOffset) BEFORE any kernel touches memory, then the call into the chosen dispatch
// path. Errors are thrown as JS Errors whose message is "CODE|message[|hint]"; runtime/kernels/native/index.ts turns
// them into BitkitErrors. The argument order is the Kernels interface's (runtime/kernels/kernels.ts), except that
// ActQuantSpec and AdamWOptions arrive flattened into numbers.
// (Over 600 lines on purpose: it is one table of thin per-kernel wrappers, each mirroring a reference size check;
// splitting it would scatter the one place that says what every kernel accepts.)
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "common.h"
#include "elementwise.h"

namespace {

using bk::PathOps;

struct SetState {
  const PathOps* ops;
  int threads;
};

constexpr int kMaxThreads = 256;

/** A number as JS's String(v) would print it (closely enough for messages). */
std::string jsNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e21) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int p = 1; p <= 17; p++) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

[[noreturn]] void fail(Napi::Env env, const char* code, const std::string& msg, const std::string& hint = "") {
  throw Napi::Error::New(env, std::string(code) + "|" + msg + (hint.empty() ? "" : "|" + hint));
}

uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}

uint64_t packedLen(uint64_t rows, uint64_t K) { return mul(rows, 2 * ((K + 63) / 64)); }

template <class T>
struct View {
  T* p = nullptr;
  size_t n = 0;
};

/** Decodes and checks the arguments of one kernel call; every failure names the kernel and the argument. */
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel) : info_(info), env_(info.Env()), k_(kernel) {}

  int64_t dim(size_t i, const char* name) const {
    const Napi::Value v = info_[i];
    if (!v.IsNumber()) fail(env_, "BK7001", pre() + "size " + name + " is " + describe(v) + ", needs a non-negative integer");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(std::isfinite(d) && d == std::floor(d) && d >= 0 && d <= 9007199254740991.0))
      fail(env_, "BK7001", pre() + "size " + name + " is " + jsNumber(d) + ", needs a non-negative integer");
    return static_cast<int64_t>(d);
  }

  double number(size_t i, const char* name) const {
    const Napi::Value v = info_[i];
    if (!v.IsNumber()) fail(env_, "BK7001", pre() + name + " is " + describe(v) + ", needs a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  bool flag(size_t i) const { return info_[i].ToBoolean().Value(); }

  View<float> f32(size_t i, const char* name, uint64_t needed) const { return typed<float>(i, name, napi_float32_array, "Float32Array", needed, false); }
  View<float> f32opt(size_t i, const char* name, uint64_t needed) const { return typed<float>(i, name, napi_float32_array, "Float32Array", needed, true); }
  View<uint32_t> u32(size_t i, const char* name, uint64_t needed) const { return typed<uint32_t>(i, name, napi_uint32_array, "Uint32Array", needed, false); }
  View<int32_t> i32(size_t i, const char* name, uint64_t needed) const { return typed<int32_t>(i, name, napi_int32_array, "Int32Array", needed, false); }

  [[noreturn]] void error(const char* code, const std::string& msg, const std::string& hint = "") const {
    fail(env_, code, pre() + msg, hint);
  }

  Napi::Env env() const { return env_; }

 private:
  std::string pre() const { return std::string(k_) + ": "; }

  static std::string describe(const Napi::Value& v) {
    if (v.IsUndefined()) return "undefined";
    if (v.IsNull()) return "null";
    return "not a number";
  }

  template <class T>
  View<T> typed(size_t i, const char* name, napi_typedarray_type want, const char* typeName, uint64_t needed,
                bool optional) const {
    View<T> out;
    const Napi::Value v = info_[i];
    if (optional && (v.IsNull() || v.IsUndefined())) return out;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (!v.IsTypedArray() ||
        napi_get_typedarray_info(env_, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want)
      fail(env_, "BK7001", pre() + name + " must be a " + typeName + (optional ? " or null" : ""));
    if (static_cast<uint64_t>(length) < needed)
      fail(env_, "BK7001", pre() + name + " has " + std::to_string(length) + " elements, needs " + std::to_string(needed));
    out.p = static_cast<T*>(data);  // napi adds the view's byteOffset
    out.n = length;
    return out;
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* k_;
};

const SetState& state(const Napi::CallbackInfo& info) { return *static_cast<const SetState*>(info.Data()); }

/** A typed-array property of an options object, checked as Args checks an argument (element type and length). */
template <class T>
T* typedProp(const Args& a, const Napi::Object& o, const char* key, const char* name, napi_typedarray_type want,
             const char* typeName, uint64_t needed, bool optional) {
  const Napi::Value v = o.Get(key);
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() ||
      napi_get_typedarray_info(a.env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want)
    a.error("BK7001", std::string(name) + " must be a " + typeName + (optional ? " or null" : ""));
  if (static_cast<uint64_t>(length) < needed)
    a.error("BK7001", std::string(name) + " has " + std::to_string(length) + " elements, needs " + std::to_string(needed));
  return static_cast<T*>(data);
}

// ------------------------------------------------------------------ GEMMs

template <int LAYOUT>
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  static const char* names[] = {"gemmNN", "gemmNT", "gemmTN"};
  Args a(info, names[LAYOUT]);
  const int64_t M = a.dim(3, "M"), K = a.dim(4, "K"), N = a.dim(5, "N");
  const int64_t batch = info[7].IsUndefined() ? 1 : a.dim(7, "batch");
  const auto C = a.f32(0, "C", mul(batch, mul(M, N)));
  const auto A = a.f32(1, "A", mul(batch, mul(M, K)));
  const auto B = a.f32(2, "B", mul(batch, mul(K, N)));
  const bool acc = a.flag(6);
  const SetState& s = state(info);
  s.ops->gemm(LAYOUT, C.p, A.p, B.p, M, K, N, acc, batch, s.threads);
  return info.Env().Undefined();
}

// ------------------------------------------------------------------ bits

Napi::Value PackBits(const Napi::CallbackInfo& info) {
  Args a(info, "packBits");
  const int64_t R = a.dim(4, "R"), K = a.dim(5, "K");
  const auto out = a.u32(0, "out", packedLen(R, K));
  const auto x = a.f32(1, "x", mul(R, K));
  const auto shift = a.f32opt(2, "shift", K);
  const double thr = a.number(3, "threshold");
  if (std::isinf(thr) && thr < 0) a.error("BK7002", "threshold is -Infinity, needs a number above it");
  const SetState& s = state(info);
  s.ops->packBits(out.p, x.p, shift.p, thr, R, K, s.threads);
  return info.Env().Undefined();
}

template <bool U>
Napi::Value BinaryGemm(const Napi::CallbackInfo& info) {
  Args a(info, U ? "binaryGemmUS" : "binaryGemmSS");
  const int64_t M = a.dim(3, "M"), K = a.dim(4, "K"), N = a.dim(5, "N");
  const int64_t batch = info[9].IsUndefined() ? 1 : a.dim(9, "batch");
  const auto C = a.f32(0, "C", mul(batch, mul(M, N)));
  const auto A = a.u32(1, U ? "P" : "A", mul(batch, packedLen(M, K)));
  const auto B = a.u32(2, U ? "V" : "B", mul(batch, packedLen(N, K)));
  const double scale = a.number(6, "scale");
  const auto cs = a.f32opt(7, "colScale", N);
  const auto bias = a.f32opt(8, "bias", N);
  if (K > (int64_t{1} << 30)) a.error("BK7001", "size K is " + std::to_string(K) + ", needs at most 2^30 for the popcount GEMM");
  const SetState& s = state(info);
  s.ops->binaryGemm(U, C.p, A.p, B.p, M, K, N, scale, cs.p, bias.p, batch, s.threads);
  return info.Env().Undefined();
}

/** binaryGemmSSBits / binaryGemmUSBits (out, A, B, M, K, N, scale, colScale, bias, shift, threshold, batch?). */
template <bool U>
Napi::Value BinaryGemmBits(const Napi::CallbackInfo& info) {
  Args a(info, U ? "binaryGemmUSBits" : "binaryGemmSSBits");
  const int64_t M = a.dim(3, "M"), K = a.dim(4, "K"), N = a.dim(5, "N");
  const int64_t batch = info[11].IsUndefined() ? 1 : a.dim(11, "batch");
  const int64_t shiftRows = info[12].IsUndefined() ? 1 : a.dim(12, "shiftRows");
  if (shiftRows < 1) a.error("BK7001", "size shiftRows is 0, needs at least 1");
  const auto out = a.u32(0, "out", mul(batch, packedLen(M, N)));
  const auto A = a.u32(1, U ? "P" : "A", mul(batch, packedLen(M, K)));
  const auto B = a.u32(2, U ? "V" : "B", mul(batch, packedLen(N, K)));
  const double scale = a.number(6, "scale");
  const auto cs = a.f32opt(7, "colScale", N);
  const auto bias = a.f32opt(8, "bias", N);
  const auto shift = a.f32opt(9, "shift", mul(shiftRows, N));
  const double thr = a.number(10, "threshold");
  if (std::isinf(thr) && thr < 0) a.error("BK7002", "threshold is -Infinity, needs a number above it");
  if (K > (int64_t{1} << 30)) a.error("BK7001", "size K is " + std::to_string(K) + ", needs at most 2^30 for the popcount GEMM");
  const SetState& s = state(info);
  s.ops->binaryGemmBits(U, out.p, A.p, B.p, M, K, N, scale, cs.p, bias.p, shift.p, thr, batch, shift.p == nullptr ? 1 : shiftRows,
                        s.threads);
  return info.Env().Undefined();
}

/** attentionProbsBits (out, Q, K, M, K, N, scale, maskBias, productsPerMask, shift, threshold, batch). */
Napi::Value AttentionProbsBits(const Napi::CallbackInfo& info) {
  Args a(info, "attentionProbsBits");
  const int64_t M = a.dim(3, "M"), K = a.dim(4, "K"), N = a.dim(5, "N");
  const int64_t ppm = a.dim(8, "productsPerMask");
  const int64_t batch = a.dim(11, "batch");
  if (ppm < 1) a.error("BK7001", "size productsPerMask is 0, needs at least 1");
  const auto out = a.u32(0, "out", mul(batch, packedLen(M, N)));
  const auto Q = a.u32(1, "Q", mul(batch, packedLen(M, K)));
  const auto Kb = a.u32(2, "K", mul(batch, packedLen(N, K)));
  const double scale = a.number(6, "scale");
  const auto mask = a.f32opt(7, "maskBias", mul((batch + ppm - 1) / ppm, N));
  const auto shift = a.f32opt(9, "shift", N);
  const double thr = a.number(10, "threshold");
  if (std::isinf(thr) && thr < 0) a.error("BK7002", "threshold is -Infinity, needs a number above it");
  if (K > (int64_t{1} << 30)) a.error("BK7001", "size K is " + std::to_string(K) + ", needs at most 2^30 for the popcount GEMM");
  const SetState& s = state(info);
  s.ops->attentionBits(out.p, Q.p, Kb.p, M, K, N, scale, mask.p, ppm, shift.p, thr, batch, s.threads);
  return info.Env().Undefined();
}

Napi::Value PackBitsTransposed(const Napi::CallbackInfo& info) {
  Args a(info, "packBitsTransposed");
  const int64_t B = a.dim(4, "B"), T = a.dim(5, "T"), C = a.dim(6, "C");
  const auto out = a.u32(0, "out", packedLen(mul(B, C), T));
  const auto x = a.f32(1, "x", mul(B, mul(T, C)));
  const auto shift = a.f32opt(2, "shift", C);
  const double thr = a.number(3, "threshold");
  if (std::isinf(thr) && thr < 0) a.error("BK7002", "threshold is -Infinity, needs a number above it");
  const SetState& s = state(info);
  s.ops->packBitsT(out.p, x.p, shift.p, thr, B, T, C, s.threads);
  return info.Env().Undefined();
}

// ------------------------------------------------------------------ element-wise

Napi::Value AddBias(const Napi::CallbackInfo& info) {
  Args a(info, "addBias");
  const int64_t R = a.dim(3, "R"), C = a.dim(4, "C");
  const auto y = a.f32(0, "y", mul(R, C));
  const auto x = a.f32(1, "x", mul(R, C));
  const auto bias = a.f32(2, "bias", C);
  bk::addBias(y.p, x.p, bias.p, R, C, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value AddBiasBackward(const Napi::CallbackInfo& info) {
  Args a(info, "addBiasBackward");
  const int64_t R = a.dim(2, "R"), C = a.dim(3, "C");
  const auto dBias = a.f32(0, "dBias", C);
  const auto dY = a.f32(1, "dY", mul(R, C));
  bk::addBiasBackward(dBias.p, dY.p, R, C, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  Args a(info, "add");
  const int64_t n = a.dim(3, "n");
  const auto y = a.f32(0, "y", n);
  const auto x = a.f32(1, "a", n);
  const auto b = a.f32(2, "b", n);
  bk::add(y.p, x.p, b.p, n, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  Args a(info, "scale");
  const int64_t n = a.dim(3, "n");
  const auto y = a.f32(0, "y", n);
  const auto x = a.f32(1, "x", n);
  const double s = a.number(2, "s");
  bk::scale(y.p, x.p, s, n, state(info).threads);
  return info.Env().Undefined();
}

/** The forward kernels y = f(x) of n elements. */
template <void (*F)(float*, const float*, int64_t, int)>
Napi::Value Unary(const Napi::CallbackInfo& info, const char* kernel) {
  Args a(info, kernel);
  const int64_t n = a.dim(2, "n");
  const auto y = a.f32(0, "y", n);
  const auto x = a.f32(1, "x", n);
  F(y.p, x.p, n, state(info).threads);
  return info.Env().Undefined();
}

/** The backward kernels dX += dY * f'(saved) of n elements. */
template <void (*F)(float*, const float*, const float*, int64_t, int)>
Napi::Value UnaryBackward(const Napi::CallbackInfo& info, const char* kernel, const char* saved) {
  Args a(info, kernel);
  const int64_t n = a.dim(3, "n");
  const auto dX = a.f32(0, "dX", n);
  const auto dY = a.f32(1, "dY", n);
  const auto s = a.f32(2, saved, n);
  F(dX.p, dY.p, s.p, n, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value ReluForward(const Napi::CallbackInfo& info) { return Unary<bk::reluForward>(info, "reluForward"); }
Napi::Value ReluBackward(const Napi::CallbackInfo& info) { return UnaryBackward<bk::reluBackward>(info, "reluBackward", "x"); }
Napi::Value GeluForward(const Napi::CallbackInfo& info) { return Unary<bk::geluForward>(info, "geluForward"); }
Napi::Value GeluBackward(const Napi::CallbackInfo& info) { return UnaryBackward<bk::geluBackward>(info, "geluBackward", "x"); }
Napi::Value TanhForward(const Napi::CallbackInfo& info) { return Unary<bk::tanhForward>(info, "tanhForward"); }
Napi::Value TanhBackward(const Napi::CallbackInfo& info) { return UnaryBackward<bk::tanhBackward>(info, "tanhBackward", "y"); }

// ------------------------------------------------------------------ softmax and LayerNorm

Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxForward");
  const int64_t R = a.dim(4, "R"), C = a.dim(5, "C");
  const auto y = a.f32(0, "y", mul(R, C));
  const auto x = a.f32(1, "x", mul(R, C));
  int64_t rowsPerMask = 1;
  View<float> mask;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    rowsPerMask = a.dim(6, "rowsPerMask");
    if (rowsPerMask < 1) {
      if (R > 0) a.error("BK7001", "rowsPerMask is " + std::to_string(rowsPerMask) + ", needs >= 1 with a mask",
                         "attention passes rowsPerMask = NH * T");
      rowsPerMask = 1;
    }
    mask = a.f32opt(2, "maskBias", R > 0 ? mul(static_cast<uint64_t>((R - 1) / rowsPerMask + 1), C) : 0);
  }
  const double scale = a.number(3, "scale");
  bk::softmaxForward(state(info).ops, y.p, x.p, mask.p, scale, R, C, rowsPerMask, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxBackward");
  const int64_t R = a.dim(4, "R"), C = a.dim(5, "C");
  const auto dX = a.f32(0, "dX", mul(R, C));
  const auto dY = a.f32(1, "dY", mul(R, C));
  const auto y = a.f32(2, "y", mul(R, C));
  const double scale = a.number(3, "scale");
  bk::softmaxBackward(dX.p, dY.p, y.p, scale, R, C, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward");
  const int64_t R = a.dim(6, "R"), C = a.dim(7, "C");
  const auto y = a.f32(0, "y", mul(R, C));
  const auto mean = a.f32(1, "mean", R);
  const auto rstd = a.f32(2, "rstd", R);
  const auto x = a.f32(3, "x", mul(R, C));
  const auto gamma = a.f32(4, "gamma", C);
  const auto beta = a.f32(5, "beta", C);
  const double eps = a.number(8, "eps");
  bk::layerNormForward(state(info).ops, y.p, mean.p, rstd.p, x.p, gamma.p, beta.p, R, C, eps, state(info).threads);
  return info.Env().Undefined();
}

/** The optional packs argument of the fused LayerNorm kernels: up to 8 { bits, shift, threshold } for output [R,C]. */
int packSpecs(const Args& a, const Napi::Value& pv, int64_t R, int64_t C, bk::PackSpec* packs) {
  int npacks = 0;
  if (pv.IsUndefined() || pv.IsNull()) return 0;
  if (!pv.IsArray()) a.error("BK7001", "packs must be an array of { bits, shift, threshold }");
  const Napi::Array arr = pv.As<Napi::Array>();
  if (arr.Length() > 8) a.error("BK7001", std::to_string(arr.Length()) + " packs, at most 8");
  for (uint32_t i = 0; i < arr.Length(); i++) {
    const Napi::Value e = arr.Get(i);
    if (!e.IsObject()) a.error("BK7001", "packs[" + std::to_string(i) + "] must be an object { bits, shift, threshold }");
    const Napi::Object o = e.As<Napi::Object>();
    const std::string at = "packs[" + std::to_string(i) + "].";
    packs[i].bits = typedProp<uint32_t>(a, o, "bits", (at + "bits").c_str(), napi_uint32_array, "Uint32Array", packedLen(R, C), false);
    packs[i].shift = typedProp<float>(a, o, "shift", (at + "shift").c_str(), napi_float32_array, "Float32Array", C, true);
    const Napi::Value t = o.Get("threshold");
    if (!t.IsNumber()) a.error("BK7001", at + "threshold must be a number");
    packs[i].threshold = t.As<Napi::Number>().DoubleValue();
    if (std::isinf(packs[i].threshold) && packs[i].threshold < 0) a.error("BK7002", at + "threshold is -Infinity, needs a number above it");
    npacks++;
  }
  return npacks;
}

Napi::Value ResidualLayerNorm(const Napi::CallbackInfo& info) {
  Args a(info, "residualLayerNorm");
  const int64_t R = a.dim(5, "R"), C = a.dim(6, "C");
  const auto y = a.f32(0, "y", mul(R, C));
  const auto x = a.f32(1, "x", mul(R, C));
  const auto residual = a.f32opt(2, "residual", mul(R, C));
  const auto gamma = a.f32(3, "gamma", C);
  const auto beta = a.f32(4, "beta", C);
  const double eps = a.number(7, "eps");
  bk::PackSpec packs[8];
  const int npacks = packSpecs(a, info[8], R, C, packs);
  bk::residualLayerNorm(state(info).ops, y.p, x.p, residual.p, gamma.p, beta.p, R, C, eps, packs, npacks,
                        state(info).threads);
  return info.Env().Undefined();
}

/** binaryGemmLayerNorm (y, unsignedA, A, B, M, K, N, scale, colScale, bias, residual, gamma, beta, eps, packs?). */
Napi::Value BinaryGemmLayerNorm(const Napi::CallbackInfo& info) {
  Args a(info, "binaryGemmLayerNorm");
  const int64_t M = a.dim(4, "M"), K = a.dim(5, "K"), N = a.dim(6, "N");
  const auto y = a.f32(0, "y", mul(M, N));
  const bool unsignedA = a.flag(1);
  const auto A = a.u32(2, "A", packedLen(M, K));
  const auto B = a.u32(3, "B", packedLen(N, K));
  const double scale = a.number(7, "scale");
  const auto colScale = a.f32opt(8, "colScale", N);
  const auto bias = a.f32opt(9, "bias", N);
  const auto residual = a.f32opt(10, "residual", mul(M, N));
  const auto gamma = a.f32(11, "gamma", N);
  const auto beta = a.f32(12, "beta", N);
  const double eps = a.number(13, "eps");
  bk::PackSpec packs[8];
  const int npacks = packSpecs(a, info[14], M, N, packs);
  const SetState& s = state(info);
  bk::binaryGemmLayerNorm(s.ops, y.p, unsignedA, A.p, B.p, M, K, N, scale, colScale.p, bias.p, residual.p, gamma.p,
                          beta.p, eps, packs, npacks, s.threads);
  return info.Env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward");
  const int64_t R = a.dim(8, "R"), C = a.dim(9, "C");
  const auto dX = a.f32(0, "dX", mul(R, C));
  const auto dGamma = a.f32(1, "dGamma", C);
  const auto dBeta = a.f32(2, "dBeta", C);
  const auto dY = a.f32(3, "dY", mul(R, C));
  const auto x = a.f32(4, "x", mul(R, C));
  const auto mean = a.f32(5, "mean", R);
  const auto rstd = a.f32(6, "rstd", R);
  const auto gamma = a.f32(7, "gamma", C);
  bk::layerNormBackward(dX.p, dGamma.p, dBeta.p, dY.p, x.p, mean.p, rstd.p, gamma.p, R, C, state(info).threads);
  return info.Env().Undefined();
}

// ------------------------------------------------------------------ embeddings and heads

void checkIds(const Args& a, const View<int32_t>& ids, int64_t n, size_t tableLength, int64_t C) {
  const double V = C > 0 ? std::floor(static_cast<double>(tableLength) / static_cast<double>(C))
                         : std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; i++) {
    const int32_t id = ids.p[i];
    if (id < 0 || static_cast<double>(id) >= V)
      a.error("BK7001", "ids[" + std::to_string(i) + "] is " + std::to_string(id) + ", outside the table of " +
                            jsNumber(V) + " rows",
              "a token id is outside the vocabulary: the tokenizer and the model disagree on the vocabulary size");
  }
}

Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingForward");
  const int64_t n = a.dim(3, "n"), C = a.dim(4, "C");
  const auto y = a.f32(0, "y", mul(n, C));
  const auto ids = a.i32(1, "ids", n);
  const auto table = a.f32(2, "table", 0);
  checkIds(a, ids, n, table.n, C);
  bk::embeddingForward(y.p, ids.p, table.p, n, C, state(info).threads);
  return info.Env().Undefined();
}

Napi::Value TransposeBits(const Napi::CallbackInfo& info) {
  Args a(info, "transposeBits");
  const int64_t B = a.dim(2, "B"), T = a.dim(3, "T"), C = a.dim(4, "C");
  const auto out = a.u32(0, "out", packedLen(mul(B, C), T));
  const auto x = a.u32(1, "x", packedLen(mul(B, T), C));
  bk::transposeBits(out.p, x.p, B, T, C, state(info).threads);
  return info.Env().Undefined();
}

/** embeddingSumBinary (y, ids, bits, rowScale, positionIds, position, typeIds, type, n, C). */
Napi::Value EmbeddingSumBinary(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingSumBinary");
  const int64_t n = a.dim(8, "n"), C = a.dim(9, "C");
  const auto y = a.f32(0, "y", mul(n, C));
  const auto ids = a.i32(1, "ids", n);
  const auto bits = a.u32(2, "bits", 0);
  const auto rowScale = a.f32(3, "rowScale", 0);
  const auto positionIds = a.i32(4, "positionIds", n);
  const auto position = a.f32(5, "position", 0);
  const auto typeIds = a.i32(6, "typeIds", n);
  const auto type = a.f32(7, "type", 0);
  const uint64_t u32 = 2 * ((static_cast<uint64_t>(C) + 63) / 64);
  // the word table's rows: as many as both the bits and the scales hold
  const uint64_t V = u32 > 0 ? std::min<uint64_t>(rowScale.n, bits.n / u32) : rowScale.n;
  checkIds(a, ids, n, static_cast<size_t>(mul(V, static_cast<uint64_t>(C))), C);
  checkIds(a, positionIds, n, position.n, C);
  checkIds(a, typeIds, n, type.n, C);
  bk::embeddingSumBinary(y.p, ids.p, bits.p, rowScale.p, positionIds.p, position.p, typeIds.p, type.p, n, C,
                         state(info).threads);
  return info.Env().Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingBackward");
  const int64_t n = a.dim(3, "n"), C = a.dim(4, "C");
  const auto dTable = a.f32(0, "dTable", 0);
  const auto dY = a.f32(1, "dY", mul(n, C));
  const auto ids = a.i32(2, "ids", n);
  checkIds(a, ids, n, dTable.n, C);
  bk::embeddingBackward(dTable.p, dY.p, ids.p, n, C);
  return info.Env().Undefined();
}

template <bool MERGE>
Napi::Value Heads(const Napi::CallbackInfo& info) {
  Args a(info, MERGE ? "mergeHeads" : "splitHeads");
  const int64_t B = a.dim(2, "B"), T = a.dim(3, "T"), NH = a.dim(4, "NH"), HS = a.dim(5, "HS");
  const uint64_t n = mul(mul(B, T), mul(NH, HS));
  const auto y = a.f32(0, "y", n);
  const auto x = a.f32(1, "x", n);
  bk::heads(y.p, x.p, B, T, NH, HS, MERGE, state(info).threads);
  return info.Env().Undefined();
}

// ------------------------------------------------------------------ reductions

template <double (*F)(const PathOps*, const float*, int64_t, int)>
Napi::Value Reduction(const Napi::CallbackInfo& info, const char* kernel) {
  Args a(info, kernel);
  const int64_t n = a.dim(1, "n");
  const auto x = a.f32(0, "x", n);
  return Napi::Number::New(info.Env(), F(state(info).ops, x.p, n, state(info).threads));
}

Napi::Value Sum(const Napi::CallbackInfo& info) { return Reduction<bk::sum>(info, "sum"); }
Napi::Value SumAbs(const Napi::CallbackInfo& info) { return Reduction<bk::sumAbs>(info, "sumAbs"); }
Napi::Value SumSquares(const Napi::CallbackInfo& info) { return Reduction<bk::sumSquares>(info, "sumSquares"); }
Napi::Value Min(const Napi::CallbackInfo& info) { return Reduction<bk::minOf>(info, "min"); }

// ------------------------------------------------------------------ quantizers

Napi::Value BinarizeWeight(const Napi::CallbackInfo& info) {
  Args a(info, "binarizeWeight");
  const int64_t n = a.dim(2, "n");
  const auto wb = a.f32(0, "wb", n);
  const auto w = a.f32(1, "w", n);
  return Napi::Number::New(info.Env(), bk::binarizeWeight(state(info).ops, wb.p, w.p, n, a.flag(3), state(info).threads));
}

Napi::Value BinarizeRows(const Napi::CallbackInfo& info) {
  Args a(info, "binarizeRows");
  const int64_t R = a.dim(3, "R"), C = a.dim(4, "C");
  const auto eb = a.f32(0, "eb", mul(R, C));
  const auto rowScale = a.f32(1, "rowScale", R);
  const auto e = a.f32(2, "e", mul(R, C));
  bk::binarizeRows(state(info).ops, eb.p, rowScale.p, e.p, R, C, a.flag(5), state(info).threads);
  return info.Env().Undefined();
}

/** The quantizer spec checks of reference-quant.ts (BK7002), then its clip range. */
struct Quant {
  bool signed1;
  double qn, qp, offset;
};

Quant quantSpec(const Args& a, double scaleA, bool isSigned, double bits, double offset) {
  if (bits != 1 && bits != 2 && bits != 4 && bits != 8)
    a.error("BK7002", "spec.bits is " + jsNumber(bits) + ", needs 1, 2, 4 or 8",
            "the quantizer spec was built with an unsupported bit width");
  if (!(scaleA > 0) || !std::isfinite(scaleA))
    a.error("BK7002", "scale a is " + jsNumber(scaleA) + ", needs a finite value > 0",
            "the quantizer scale was not initialised or the optimiser drove it to zero, negative or NaN");
  if (!std::isfinite(offset))
    a.error("BK7002", "spec.offset is " + jsNumber(offset) + ", needs a finite value",
            "the offset (tensor minimum) of an unsigned multi-bit quantizer came from a tensor holding NaN or Inf");
  Quant q;
  q.signed1 = isSigned && bits == 1;
  q.offset = offset;
  const double levels = std::ldexp(1.0, static_cast<int>(bits));  // 2^b
  if (isSigned) {
    q.qn = bits == 1 ? -1 : -levels / 2;
    q.qp = bits == 1 ? 1 : levels / 2 - 1;
  } else {
    q.qn = 0;
    q.qp = levels - 1;
  }
  return q;
}

// (y, x, shift, a, signed, bits, offset, R, C)
Napi::Value ActQuantForward(const Napi::CallbackInfo& info) {
  Args a(info, "actQuantForward");
  const int64_t R = a.dim(7, "R"), C = a.dim(8, "C");
  const double sa = a.number(3, "a");
  const Quant q = quantSpec(a, sa, a.flag(4), a.number(5, "spec.bits"), a.number(6, "spec.offset"));
  const auto y = a.f32(0, "y", mul(R, C));
  const auto x = a.f32(1, "x", mul(R, C));
  const auto shift = a.f32opt(2, "shift", C);
  bk::actQuantForward(state(info).ops, y.p, x.p, shift.p, sa, q.signed1, q.qn, q.qp, q.offset, R, C, state(info).threads);
  return info.Env().Undefined();
}

// (dX, dShift, dY, x, shift, a, signed, bits, offset, R, C)
Napi::Value ActQuantBackward(const Napi::CallbackInfo& info) {
  Args a(info, "actQuantBackward");
  const int64_t R = a.dim(9, "R"), C = a.dim(10, "C");
  const double sa = a.number(5, "a");
  const Quant q = quantSpec(a, sa, a.flag(6), a.number(7, "spec.bits"), a.number(8, "spec.offset"));
  const auto dX = a.f32(0, "dX", mul(R, C));
  const auto dShift = a.f32opt(1, "dShift", C);
  const auto dY = a.f32(2, "dY", mul(R, C));
  const auto x = a.f32(3, "x", mul(R, C));
  const auto shift = a.f32opt(4, "shift", C);
  return Napi::Number::New(info.Env(), bk::actQuantBackward(state(info).ops, dX.p, dShift.p, dY.p, x.p, shift.p, sa,
                                                            q.signed1, q.qn, q.qp, q.offset, R, C));
}

// ------------------------------------------------------------------ optimiser

// (param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, badStep, step): bc1, bc2 = the bias
// corrections (or 1), computed by the TS wrapper; badStep: the step is not an integer >= 1 with bias correction.
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Args a(info, "adamw");
  const int64_t n = a.dim(4, "n");
  const auto param = a.f32(0, "param", n);
  const auto grad = a.f32(1, "grad", n);
  const auto m = a.f32(2, "m", n);
  const auto v = a.f32(3, "v", n);
  if (a.flag(12))
    a.error("BK7002", "step is " + jsNumber(info[13].ToNumber().DoubleValue()) + ", needs an integer >= 1 with bias correction",
            "the optimiser step count is 1-based");
  bk::adamw(state(info).ops, param.p, grad.p, m.p, v.p, n, a.number(5, "lr"), a.number(6, "beta1"), a.number(7, "beta2"),
            a.number(8, "eps"), a.number(9, "weightDecay"), a.number(10, "bc1"), a.number(11, "bc2"),
            state(info).threads);
  return info.Env().Undefined();
}

// ------------------------------------------------------------------ sets, threads, info

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setThreads");
  const int64_t n = a.dim(0, "threads");
  if (n < 1 || n > kMaxThreads)
    a.error("BK7004", "threads is " + std::to_string(n) + ", needs 1.." + std::to_string(kMaxThreads),
            "the thread count of a native kernel set is the number of threads each call may use");
  static_cast<SetState*>(info.Data())->threads = static_cast<int>(n);
  bk::pool_reserve(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), state(info).threads); }

// `request`: for the AMX path, also ask the OS for the tile state. Only a set that will run on AMX asks (the grant
// enlarges every signal frame of the process), so nativeInfo() lists the path from the CPU's flags alone.
bool supported(const char* path, bool request = false) {
  const bk::CpuFeatures f = bk::cpu_features();
  if (std::strcmp(path, "portable") == 0) return true;
  if (std::strcmp(path, "avx2") == 0) return bk::path_avx2() != nullptr && f.avx2 && f.fma && f.popcnt;
  const bool avx512 = bk::path_avx512() != nullptr && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl &&
                      f.avx512vpopcntdq && f.avx2 && f.fma && f.popcnt;
  if (std::strcmp(path, "avx512") == 0) return avx512;
  if (std::strcmp(path, "amx") == 0)
    return avx512 && bk::path_amx() != nullptr && f.amxTile && f.amxInt8 && (!request || bk::amx_usable());
  return false;
}

const PathOps* opsFor(const std::string& path) {
  if (path == "portable") return bk::path_portable();
  if (path == "avx2") return bk::path_avx2();
  if (path == "avx512") return bk::path_avx512();
  if (path == "amx") return bk::path_amx();
  return nullptr;
}

// best first: `auto` takes the first the CPU supports. AMX is opt-in (BITKIT_KERNEL_PATH=amx): on the machine measured
// it beats the AVX-512 popcount kernels at one thread only (path_amx.cc).
const char* kPaths[] = {"avx512", "amx", "avx2", "portable"};

void Set(Napi::Env env, Napi::Object o, SetState* s, const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
  o.Set(name, Napi::Function::New(env, fn, name, s));
}

// createSet(path, threads): an object holding every kernel bound to one dispatch path and thread count.
// The state is deliberately never freed (a few bytes per set): the functions may outlive the object.
Napi::Value CreateSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* hint = "paths: amx, avx512, avx2, portable; nativeInfo() lists those this CPU runs";
  if (!info[0].IsString()) fail(env, "BK7004", "createSet: path must be a string", hint);
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const PathOps* ops = opsFor(path);
  if (ops == nullptr) fail(env, "BK7004", "kernel path '" + path + "' is not part of this build", hint);
  if (!supported(path.c_str(), true))
    fail(env, "BK7004", "this CPU lacks the instructions of kernel path '" + path + "' (or, for amx, the OS denies the tile state)", hint);
  Args a(info, "createSet");
  const int64_t threads = a.dim(1, "threads");
  if (threads < 1 || threads > kMaxThreads)
    a.error("BK7004", "threads is " + std::to_string(threads) + ", needs 1.." + std::to_string(kMaxThreads),
            "the thread count of a native kernel set is the number of threads each call may use");
  SetState* s = new SetState{ops, static_cast<int>(threads)};
  bk::pool_reserve(s->threads);
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", Napi::String::New(env, ops->name));
  Set(env, o, s, "gemmNN", Gemm<bk::NN>);
  Set(env, o, s, "gemmNT", Gemm<bk::NT>);
  Set(env, o, s, "gemmTN", Gemm<bk::TN>);
  Set(env, o, s, "packBits", PackBits);
  Set(env, o, s, "binaryGemmSS", BinaryGemm<false>);
  Set(env, o, s, "binaryGemmUS", BinaryGemm<true>);
  Set(env, o, s, "binaryGemmSSBits", BinaryGemmBits<false>);
  Set(env, o, s, "binaryGemmUSBits", BinaryGemmBits<true>);
  Set(env, o, s, "packBitsTransposed", PackBitsTransposed);
  Set(env, o, s, "attentionProbsBits", AttentionProbsBits);
  Set(env, o, s, "residualLayerNorm", ResidualLayerNorm);
  Set(env, o, s, "addBias", AddBias);
  Set(env, o, s, "addBiasBackward", AddBiasBackward);
  Set(env, o, s, "add", Add);
  Set(env, o, s, "scale", Scale);
  Set(env, o, s, "reluForward", ReluForward);
  Set(env, o, s, "reluBackward", ReluBackward);
  Set(env, o, s, "geluForward", GeluForward);
  Set(env, o, s, "geluBackward", GeluBackward);
  Set(env, o, s, "tanhForward", TanhForward);
  Set(env, o, s, "tanhBackward", TanhBackward);
  Set(env, o, s, "softmaxForward", SoftmaxForward);
  Set(env, o, s, "softmaxBackward", SoftmaxBackward);
  Set(env, o, s, "layerNormForward", LayerNormForward);
  Set(env, o, s, "layerNormBackward", LayerNormBackward);
  Set(env, o, s, "embeddingForward", EmbeddingForward);
  Set(env, o, s, "embeddingBackward", EmbeddingBackward);
  Set(env, o, s, "embeddingSumBinary", EmbeddingSumBinary);
  Set(env, o, s, "transposeBits", TransposeBits);
  Set(env, o, s, "binaryGemmLayerNorm", BinaryGemmLayerNorm);
  Set(env, o, s, "splitHeads", Heads<false>);
  Set(env, o, s, "mergeHeads", Heads<true>);
  Set(env, o, s, "sum", Sum);
  Set(env, o, s, "sumAbs", SumAbs);
  Set(env, o, s, "sumSquares", SumSquares);
  Set(env, o, s, "min", Min);
  Set(env, o, s, "binarizeWeight", BinarizeWeight);
  Set(env, o, s, "binarizeRows", BinarizeRows);
  Set(env, o, s, "actQuantForward", ActQuantForward);
  Set(env, o, s, "actQuantBackward", ActQuantBackward);
  Set(env, o, s, "adamw", AdamW);
  Set(env, o, s, "setThreads", SetThreads);
  Set(env, o, s, "getThreads", GetThreads);
  return o;
}

// info(): { compiled: string[], supported: string[], best: string, hardwareThreads: number, features: {...} }
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array compiled = Napi::Array::New(env), sup = Napi::Array::New(env);
  uint32_t nc = 0, ns = 0;
  const char* best = nullptr;
  for (const char* p : kPaths) {
    if (opsFor(p) != nullptr) compiled.Set(nc++, Napi::String::New(env, p));
    if (supported(p)) {
      sup.Set(ns++, Napi::String::New(env, p));
      if (best == nullptr) best = p;
    }
  }
  o.Set("compiled", compiled);
  o.Set("supported", sup);
  o.Set("best", Napi::String::New(env, best));
  o.Set("hardwareThreads", Napi::Number::New(env, bk::hardware_threads()));
  const bk::CpuFeatures f = bk::cpu_features();
  Napi::Object feat = Napi::Object::New(env);
  feat.Set("x86_64", f.x86);
  feat.Set("sse4.2", f.sse42);
  feat.Set("popcnt", f.popcnt);
  feat.Set("avx", f.avx);
  feat.Set("avx2", f.avx2);
  feat.Set("fma", f.fma);
  feat.Set("bmi2", f.bmi2);
  feat.Set("avx512f", f.avx512f);
  feat.Set("avx512bw", f.avx512bw);
  feat.Set("avx512dq", f.avx512dq);
  feat.Set("avx512vl", f.avx512vl);
  feat.Set("avx512vpopcntdq", f.avx512vpopcntdq);
  feat.Set("amx-tile", f.amxTile);
  feat.Set("amx-int8", f.amxInt8);
  o.Set("features", feat);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createSet", Napi::Function::New(env, CreateSet, "createSet"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("abi", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(bitkit_native, Init)
