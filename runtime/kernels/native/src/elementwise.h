// Element-wise, normalisation, embedding, head-reshaping, reduction, quantizer and optimiser kernels of the native
// set (plain C++, one version for every dispatch path). Sizes are validated by addon.cc before these run.
// Numerics follow runtime/kernels/reference*.ts step by step: where the reference computes in JS numbers (double)
// these compute in double, and they store to float32 at the same points, so that results agree to the last bit or
// within the summation-order differences of parallel reductions.
#pragma once
#include <cstdint>

#include "common.h"

namespace bk {

void addBias(float* y, const float* x, const float* bias, int64_t R, int64_t C, int threads);
void addBiasBackward(float* dBias, const float* dY, int64_t R, int64_t C, int threads);
void add(float* y, const float* a, const float* b, int64_t n, int threads);
void scale(float* y, const float* x, double s, int64_t n, int threads);
void reluForward(float* y, const float* x, int64_t n, int threads);
void reluBackward(float* dX, const float* dY, const float* x, int64_t n, int threads);
void geluForward(float* y, const float* x, int64_t n, int threads);
void geluBackward(float* dX, const float* dY, const float* x, int64_t n, int threads);
void tanhForward(float* y, const float* x, int64_t n, int threads);
void tanhBackward(float* dX, const float* dY, const float* y, int64_t n, int threads);
void softmaxForward(const PathOps* ops, float* y, const float* x, const float* maskBias, double scale, int64_t R,
                    int64_t C, int64_t rowsPerMask, int threads);
void softmaxBackward(float* dX, const float* dY, const float* y, double scale, int64_t R, int64_t C, int threads);
void layerNormForward(const PathOps* ops, float* y, float* mean, float* rstd, const float* x, const float* gamma,
                      const float* beta, int64_t R, int64_t C, double eps, int threads);
/** One output of a fused kernel packed for a following 1-bit quantizer (kernels.ts PackTarget). */
struct PackSpec {
  uint32_t* bits;
  const float* shift;  // nullable
  double threshold;
};
/**
 * y = LayerNorm(float32(x + residual)) row by row (residual nullable): add then layerNormForward in one pass (mean,
 * rstd not kept); each row of y is then packed into every pack's bits while it is in L1.
 */
void residualLayerNorm(const PathOps* ops, float* y, const float* x, const float* residual, const float* gamma,
                       const float* beta, int64_t R, int64_t C, double eps, const PackSpec* packs, int npacks,
                       int threads);
/**
 * binaryGemm (unsignedA: the US form) then residualLayerNorm of its output (kernels.ts binaryGemmLayerNorm), by blocks
 * of rows: each task's float output block stays in its cache between the GEMM and the LayerNorm rows.
 */
void binaryGemmLayerNorm(const PathOps* ops, float* y, bool unsignedA, const uint32_t* A, const uint32_t* B, int64_t M,
                         int64_t K, int64_t N, double scale, const float* colScale, const float* bias,
                         const float* residual, const float* gamma, const float* beta, double eps,
                         const PackSpec* packs, int npacks, int threads);
void layerNormBackward(float* dX, float* dGamma, float* dBeta, const float* dY, const float* x, const float* mean,
                       const float* rstd, const float* gamma, int64_t R, int64_t C, int threads);
void embeddingForward(float* y, const int32_t* ids, const float* table, int64_t n, int64_t C, int threads);
void embeddingBackward(float* dTable, const float* dY, const int32_t* ids, int64_t n, int64_t C);
/** y[i] = (sign bits of word row ids[i] x rowScale[ids[i]] + position row, rounded to float32) + type row. */
/** The bit-matrix transpose of each of B blocks: out row b*C + c, bit t = x row b*T + t, bit c (kernels.ts). */
void transposeBits(uint32_t* out, const uint32_t* x, int64_t B, int64_t T, int64_t C, int threads);
void embeddingSumBinary(float* y, const int32_t* ids, const uint32_t* bits, const float* rowScale,
                        const int32_t* positionIds, const float* position, const int32_t* typeIds, const float* type,
                        int64_t n, int64_t C, int threads);
/** mergeHeads = false: [B,T,NH,HS] -> [B,NH,T,HS]; true: the inverse. */
void heads(float* y, const float* x, int64_t B, int64_t T, int64_t NH, int64_t HS, bool merge, int threads);
// The kernels below take the dispatch path's element-wise spans (`ops`); results are identical on every path.
double sum(const PathOps* ops, const float* x, int64_t n, int threads);
double sumAbs(const PathOps* ops, const float* x, int64_t n, int threads);
double sumSquares(const PathOps* ops, const float* x, int64_t n, int threads);
double minOf(const PathOps* ops, const float* x, int64_t n, int threads);
double binarizeWeight(const PathOps* ops, float* wb, const float* w, int64_t n, bool centred, int threads);
void binarizeRows(const PathOps* ops, float* eb, float* rowScale, const float* e, int64_t R, int64_t C, bool centred,
                  int threads);
/** qn, qp: the clip range (see quantRange in reference-quant.ts); signed1: the 1-bit signed (sign) quantizer. */
void actQuantForward(const PathOps* ops, float* y, const float* x, const float* shift, double a, bool signed1,
                     double qn, double qp, double offset, int64_t R, int64_t C, int threads);
/** Single-threaded: dA is summed element by element in the reference's order. */
double actQuantBackward(const PathOps* ops, float* dX, float* dShift, const float* dY, const float* x,
                        const float* shift, double a, bool signed1, double qn, double qp, double offset, int64_t R,
                        int64_t C);
void adamw(const PathOps* ops, float* param, const float* grad, float* m, float* v, int64_t n, double lr,
           double beta1, double beta2, double eps, double weightDecay, double bc1, double bc2, int threads);

}  // namespace bk
