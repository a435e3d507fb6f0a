// What this translation unit was compiled for: the SIMD target, the integer
// kernel family, and which kernel each storage format's matrices run. The
// glm4 command and glm4-bench print it; a program can log it or refuse to
// start on the emulated fallback.
//
//   const auto info = glm4::build_info();
//   std::cout << info.simd_target << ", " << info.integer_kernels << '\n';   // AVX3_DL, avx512vbmi
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/matmul_rows.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/version.hpp"

namespace glm4::inline GLM4_TARGET {

// How one storage format's matrices are multiplied in this build.
enum class kernel_kind {
  float_simd,        // f32 / f16 / bf16 rows against f32 activations, Highway
  int8_decode,       // int8 activations, the format's own decode kernel (and int8 prefill panels)
  integer_simd,      // int16 (or int8 panel) integer kernels, one token at a time through int16
  scalar_reference,  // no SIMD kernel yet: the scalar reference, several times slower
};

constexpr std::string_view to_string(kernel_kind k) {
  constexpr std::string_view names[] = {"float SIMD", "int8 SIMD", "integer SIMD", "scalar reference"};
  return names[static_cast<int>(k)];
}

struct format_kernel {
  std::string_view format;  // "q4_k"
  kernel_kind kind;
};

struct build_info_t {
  std::string_view version;          // GLM4_VERSION_STRING
  std::string_view simd_target;      // Highway's static target: "AVX3_DL", "AVX2", "NEON", "SVE", "EMU128"
  std::string_view integer_kernels;  // avx512vbmi, avx512vnni, avx2, dotprod, portable
  std::string_view abi_namespace;    // the inline namespace of this build (kernels/targets.hpp)
  bool emulated;                     // Highway's scalar emulation: no SIMD at all
  std::vector<format_kernel> formats;
};

namespace detail {
template <quant::block_format F>
constexpr kernel_kind kernel_of() {
  using T = kernels::dot_traits<F>;
  if constexpr (std::is_same_v<F, quant::f32> || std::is_same_v<F, quant::f16> || std::is_same_v<F, quant::bf16>)
    return kernel_kind::float_simd;
  else if constexpr (kernels::has_gemv<F>)
    return kernel_kind::int8_decode;
  else if constexpr (!std::is_same_v<typename T::activation, float>)
    return kernel_kind::integer_simd;
  else
    return kernel_kind::scalar_reference;
}
}  // namespace detail

inline build_info_t build_info() {
  build_info_t info{.version = GLM4_VERSION_STRING,
                    .simd_target = hwy::TargetName(HWY_STATIC_TARGET),
                    .integer_kernels = GLM4_TARGET_STRING(GLM4_INTEGER_FAMILY),
                    .abi_namespace = GLM4_TARGET_STRING(GLM4_TARGET),
                    .emulated = HWY_STATIC_TARGET == HWY_EMU128 || HWY_STATIC_TARGET == HWY_SCALAR,
                    .formats = {}};
  [&]<quant::block_format... Fs>(quant::format_list<Fs...>) {
    (info.formats.push_back({Fs::name, detail::kernel_of<Fs>()}), ...);
  }(quant::known_formats{});
  return info;
}

}  // namespace glm4::inline GLM4_TARGET
