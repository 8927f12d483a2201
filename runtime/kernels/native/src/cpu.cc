// CPU feature detection for the run-time dispatch (GCC/Clang's __builtin_cpu_supports, which also checks that the
// OS saves the AVX / AVX-512 register state).
#include "common.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

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
  // AMX from CPUID leaf 7 (EDX bit 24 AMX-TILE, bit 25 AMX-INT8); the OS side is amx_usable()'s request
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.amxTile = (d >> 24) & 1;
    f.amxInt8 = (d >> 25) & 1;
  }
#endif
  return f;
}

}  // namespace bk
