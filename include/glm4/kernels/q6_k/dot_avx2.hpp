// q6_k's int16 dot on AVX2 (GLM4_QDOT_AVX2); the bounds are
// kernels/q6_k.hpp's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q6_k/codes_avx2.hpp"
#include "glm4/kernels/q6_k/dot_portable.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/hsum.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

template <>
struct int16_dot<int16_family::avx2> : portable {
  // ggml's AVX2 structure: four 32-value vectors of codes per half, minus
  // 32; each 16-value sub-block widened to int16, times sc[s], pmaddwd
  // with its activations.
  static float dot(const block* w, const activation* a, std::size_t n) {
    const std::size_t nb = n / 256;
    const __m256i off = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      const std::int8_t* sc = w[b].scales;
      __m256 half_sums = _mm256_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        __m256i q[4];
        avx2_codes(w[b], h, q);
        __m256i isum = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
          const int s = 8 * h + 2 * k;  // sub-blocks s, s + 1
          const __m256i v = _mm256_sub_epi8(q[k], off);
          const std::int16_t* x = a[b].qs + 16 * s;
          isum = _mm256_add_epi32(
              isum, _mm256_madd_epi16(
                        _mm256_mullo_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)), _mm256_set1_epi16(sc[s])),
                        _mm256_loadu_si256((const __m256i*)x)));
          isum = _mm256_add_epi32(
              isum, _mm256_madd_epi16(_mm256_mullo_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)),
                                                         _mm256_set1_epi16(sc[s + 1])),
                                      _mm256_loadu_si256((const __m256i*)(x + 16))));
        }
        half_sums = _mm256_add_ps(half_sums, _mm256_cvtepi32_ps(isum));
      }
      acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)), half_sums, acc);
    }
    return qdetail::hsum(acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
