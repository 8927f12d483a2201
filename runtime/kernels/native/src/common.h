// Shared declarations of the native kernel set: the thread pool, per-thread scratch memory and the table of
// CPU-specific kernels (one per dispatch path). Layouts and semantics: runtime/kernels/kernels.ts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bk {

// ------------------------------------------------------------------ thread pool (pool.cc)

/** One task of a parallel loop: runs task `task` of the job on worker `worker` (0 = the calling thread). */
typedef void (*TaskFn)(void* ctx, int64_t task, int worker);

/**
 * Runs fn(ctx, t, w) for every t in [0, ntasks) on up to `threads` threads, the calling thread included, and returns
 * when all tasks are done. Tasks are handed out dynamically. Runs serially when threads <= 1, ntasks <= 1, when called
 * from inside a task, or when another JS thread holds the pool.
 */
void parallel_tasks(int threads, int64_t ntasks, TaskFn fn, void* ctx);

/** Makes sure the pool has workers for `threads` threads in all (created once, kept). */
void pool_reserve(int threads);

/** Number of hardware threads (>= 1). */
int hardware_threads();

/**
 * Per-thread scratch memory, 64-byte aligned, grown on demand and kept for the life of the thread.
 * `slot` (0..4) selects independent buffers: 0-3 belong to the GEMM drivers, 4 to kernels that call a GEMM inside
 * their own tasks (binaryGemmLayerNorm). The contents are undefined on return.
 */
void* thread_scratch(int slot, size_t bytes);

// ------------------------------------------------------------------ per-path kernels (path_*.cc)

enum Layout { NN = 0, NT = 1, TN = 2 };

/** An activation quantizer (see reference-quant.ts): signed1 = the sign quantizer, else LSQ with clip [qn, qp]. */
struct AqParams {
  double a, qn, qp, offset;
  bool signed1;
  float pos, neg;  // float(a), float(-a)
};

/** AdamW constants: c1 = 1 - beta1, c2 = 1 - beta2 (computed once, as the reference's expressions do per element). */
struct AdamParams {
  double lr, beta1, beta2, c1, c2, eps, weightDecay, bc1, bc2;
};

// The plain C++ spans (path_portable.cc), also used by paths without their own.
namespace scalar {
void aqForward(float* y, const float* x, const float* shift, const AqParams& q, int64_t n);
double aqBackward(float* dX, float* dShift, const float* dY, const float* x, const float* shift, const AqParams& q,
                  int64_t n, double dA);
void signSelect(float* out, const float* w, int64_t n, double centre, float pos, float neg);
void streamSums(const float* x, int64_t stride, int64_t len, int64_t count, double* s, double* sa, double* sq);
void adamw(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p);
void softmaxRow(float* y, const float* x, const float* mask, double scale, int64_t C);
void layerNormRow(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta, int64_t C,
                  double eps);
}  // namespace scalar

/** The smallest float >= thr: for a float x, x >= thr exactly when x >= floatAtLeast(thr). */
float floatAtLeast(double thr);
/**
 * The float thresholds of a packing with a shift, so that packing compares floats: t[k] = the smallest float x with
 * double(x) + double(shift[k]) >= thr (NaN when there is none), and x >= t[k] is then exactly that comparison for every
 * float x, because a rounded sum is monotone in x. (At thr = -Infinity it is not: x = +Inf with shift -Inf gives NaN;
 * the kernels reject that threshold.) Empty when shift is null: compare with floatAtLeast(thr).
 */
std::vector<float> packThresholds(const float* shift, double thr, int64_t n);

/**
 * Packed binary-GEMM output (binaryGemmBits without colScale) as integer compares (dot_thresholds.cc). For raw dots
 * r = -Kp .. Kp the output is bin_out's float(scale * (r - padProducts)) plus bias[j % biasN] (nullable) as a float32
 * add, and bit j is output >= (t ? t[j] : thrF), for j < n. When that is monotone in r, D[j] decides every bit:
 * rising, bit = r >= D[j] (Kp + 1: never); falling, bit = r <= D[j] (-Kp - 1: never). Returns false, leaving D
 * alone, when it is not (a non-finite scale product or bias) or when n is too large to keep: the caller packs floats.
 * Memoized per thread.
 */
bool dotThresholds(std::vector<int32_t>& D, bool& rising, double scale, int64_t Kp, int64_t padProducts,
                   const float* bias, int64_t biasN, const float* t, float thrF, int64_t n);

/** One packing of a LayerNorm output row (residualLayerNormRow): bit k of out = y[k] >= (t ? t[k] : thrF). */
struct RowPack {
  uint32_t* out;   // the row's 2*ceil(C/64) uint32
  const float* t;  // packThresholds, or null
  float thrF;      // floatAtLeast(threshold)
};

struct PathOps {
  const char* name;
  /** C[batch][M,N] (+)= op(A) op(B) in `layout` (see kernels.ts); sizes already validated. */
  void (*gemm)(int layout, float* C, const float* A, const float* B, int64_t M, int64_t K, int64_t N, bool accumulate,
               int64_t batch, int threads);
  /** out[R, 2*ceil(K/64)] <- bits of x[R,K] (+ shift[K]) >= threshold, compared in double as the reference does. */
  void (*packBits)(uint32_t* out, const float* x, const float* shift, double threshold, int64_t R, int64_t K,
                   int threads);
  /**
   * binaryGemmSS (unsignedP = false) or binaryGemmUS (true); A, B packed rows of 2*ceil(K/64) uint32; `batch`
   * products one after the other; colScale and bias (nullable) shared; the bias added to the float32 product.
   */
  void (*binaryGemm)(bool unsignedP, float* C, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K, int64_t N,
                     double scale, const float* colScale, const float* bias, int64_t batch, int threads);

  // Element-wise spans (single-threaded; elementwise.cc splits the work and keeps the reference's orders). Each
  // reproduces the reference's double operations step for step, so every path gives identical results (all but the
  // row kernels at the end).
  /** actQuantForward on n consecutive elements of one row; shift (nullable) is aligned with x. */
  void (*aqForward)(float* y, const float* x, const float* shift, const AqParams& q, int64_t n);
  /**
   * actQuantBackward on n consecutive elements of one row: dX (and dShift, nullable, aligned with x) += g where the
   * gradient passes; returns dA plus the n dA terms added one by one in element order (the reference's order).
   */
  double (*aqBackward)(float* dX, float* dShift, const float* dY, const float* x, const float* shift,
                       const AqParams& q, int64_t n, double dA);
  /** out[i] = (double(w[i]) - centre >= 0) ? pos : neg */
  void (*signSelect)(float* out, const float* w, int64_t n, double centre, float pos, float neg);
  /**
   * For each of `count` streams x + i*stride of len elements: the sum in double, element by element in order from 0,
   * of x (into s[i]), |x| (into sa[i]) and x*x (into sq[i]); a null output is not computed.
   */
  void (*streamSums)(const float* x, int64_t stride, int64_t len, int64_t count, double* s, double* sa, double* sq);
  /** One AdamW step on n parameters (see elementwise.h). */
  void (*adamw)(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p);

  // Row kernels of softmax and LayerNorm. The portable ones compute in double exactly as the reference does; the
  // SIMD paths vectorize them (softmax in float32 with a polynomial exp, LayerNorm in double with vector partial
  // sums), agreeing with the reference within 1e-6 relative rather than to the last bit, because the scalar double
  // exp and the in-order sums were most of the attention time of the packed engine.
  /** y[C] = softmax(x[C] * scale + mask[C]) (mask nullable); y may alias x. */
  void (*softmaxRow)(float* y, const float* x, const float* mask, double scale, int64_t C);
  /** y[C] = (x - mean) * rstd * gamma + beta, with mean and rstd = 1 / sqrt(var + eps) of the row stored. */
  void (*layerNormRow)(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                       int64_t C, double eps);

  // Fused inference kernels of the packed engine (kernels.ts: binaryGemmSSBits/USBits, packBitsTransposed).
  /**
   * binaryGemm with the output packed instead of stored: out rows of 2*ceil(N/64) uint32 per product, bit n of row m
   * = (double(C[m,n]) + shift[n] >= threshold) with C[m,n] the float32 binaryGemm would store (shift nullable, with
   * shiftRows rows of N: product i uses row i % shiftRows).
   */
  void (*binaryGemmBits)(bool unsignedP, uint32_t* out, const uint32_t* A, const uint32_t* B, int64_t M, int64_t K,
                         int64_t N, double scale, const float* colScale, const float* bias, const float* shift,
                         double threshold, int64_t batch, int64_t shiftRows, int threads);
  /** x[B,T,C] packed along T: out row b*C + c (2*ceil(T/64) uint32) = bits of x[b,:,c] (+ shift[c]) >= threshold. */
  void (*packBitsT)(uint32_t* out, const float* x, const float* shift, double threshold, int64_t B, int64_t T,
                    int64_t C, int threads);
  /** packBits of one row: n values -> ceil(n/64) words; bit = x >= (t ? t[k] : thrF) (packThresholds, floatAtLeast). */
  void (*packRow)(uint32_t* out, const float* x, const float* t, float thrF, int64_t n);
  /**
   * Per product i of `batch`: S = binaryGemmSS(Q_i, K_i, scale) (float32), + mask[i / productsPerMask] row (float32
   * add, nullable), softmaxRow per row, then packed: bit = (double(p) + shift[j] >= threshold). out rows of
   * 2*ceil(N/64) uint32.
   */
  void (*attentionBits)(uint32_t* out, const uint32_t* Q, const uint32_t* K, int64_t M, int64_t Kd, int64_t N,
                        double scale, const float* mask, int64_t productsPerMask, const float* shift, double threshold,
                        int64_t batch, int threads);
  /**
   * residualLayerNorm's row in one kernel: y = layerNormRow(float32(x + residual)) (residual nullable), then each
   * pack of y as packRow packs it; equal to that composition to the bit. gamma and beta come widened to double (once
   * per call, by the caller). nullptr: the caller composes it.
   */
  void (*residualLayerNormRow)(float* y, const float* x, const float* residual, const double* gamma, const double* beta,
                               int64_t C, double eps, const RowPack* packs, int npacks);
};

const PathOps* path_portable();
/** nullptr when this build has no such path (non-x86 builds). The caller checks the CPU before using it. */
const PathOps* path_avx2();
const PathOps* path_avx512();
/** The AVX-512 path with AMX-INT8 binary GEMMs (path_amx.cc); nullptr when not built. */
const PathOps* path_amx();
/** Whether the OS lets this process use the AMX tile registers (asks once). */
bool amx_usable();

struct CpuFeatures {
  bool x86, sse42, popcnt, avx, avx2, fma, bmi2, avx512f, avx512bw, avx512dq, avx512vl, avx512vpopcntdq, amxTile, amxInt8;
};
CpuFeatures cpu_features();

}  // namespace bk
