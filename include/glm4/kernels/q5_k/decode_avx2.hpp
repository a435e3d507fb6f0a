// q5_k's int8 decode (one token) on AVX2 (GLM4_GEMV_AVX2): q4_k's AVX2
// kernel (q4_k/decode_avx2.hpp) with dot_x86.hpp's 5-bit codes (at most 31:
// its vpmaddubsw pairs stay below 2 * 31 * 127 < 2^15).
#pragma once

#include <cstddef>

#include "glm4/kernels/q4_k/decode_avx2.hpp"
#include "glm4/kernels/q5_k/dot_x86.hpp"
#include "glm4/kernels/q5_k/reference.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    q4_k_kernels::avx2_scale_min_gemv<R>(w, w_stride, a, n, out, avx2_codes);
  }

  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc, std::size_t ahead) {
    q4_k_kernels::avx2_scale_min_tile<T>(w, a, a_stride, c0, c1, acc, ahead, avx2_codes);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
