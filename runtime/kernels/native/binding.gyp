{
  "targets": [
    {
      "target_name": "bitkit_native",
      "sources": [
        "src/addon.cc",
        "src/cpu.cc",
        "src/dot_thresholds.cc",
        "src/elementwise.cc",
        "src/pool.cc",
        "src/path_portable.cc",
        "src/path_avx2.cc",
        "src/path_avx512.cc",
        "src/path_amx.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20", "-O2", "-O0"],
      # -fno-trapping-math: no code here reads the FP exception flags, and it lets GCC vectorize loops with selects
      # (GELU, ReLU backward); it changes no result (unlike -ffast-math, which stays off, as does FMA contraction)
      "cflags": ["-O3", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CFLAGS": ["-O3", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fno-trapping-math"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      }
    }
  ]
}
