// CPU feature detection for the run-time dispatch (GCC/Clang's __builtin_cpu_supports, which also checks that the
// OS saves the AVX / AVX-512 register state).
#include "common.h"

namespace bk {

CpuFeatures cpu_features() {
  CpuFeatures f{};
#if defined(__x86_64__)
  __builtin_cpu_init();
  f.x86 = true;
  f.sse42 = __builtin_cpu_supports("sse4.2");
  f.popcnt = __builtin_cpu_supports("popcnt");
  f.avx = __builtin_cpu_supports("avx");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.bmi2 = __builtin_cpu_supports("bmi2");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vpopcntdq = __builtin_cpu_supports("avx512vpopcntdq");
#endif
  return f;
}

}  // namespace bk
