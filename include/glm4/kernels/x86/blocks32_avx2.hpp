// The AVX2 int16 loop of the 32-value formats (q8_0, q4_0, q5_0, q4_1, q5_1;
// GLM4_QDOT_AVX2: their dot_avx2.hpp).
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/hsum.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

//   sum_b dw[b] dx[b] * isum[b],   isum[b] = sum_j v[j] a[b].qs[j]   (int32)
//
// where codes(w[b]) gives the block's 32 weight values v (|v| <= 128) as
// int8 in value order. Widened to int16, two pmaddwd make isum's partial
// sums exactly: |isum| <= 32 * 128 * 32767 < 2^28. Blocks with a minimum
// m (q4_1, q5_1: x = dw v + m) add m dx * asum, asum = sum_j a[b].qs[j]
// (|asum| < 2^20) from two more pmaddwd, against ones. Two blocks per
// iteration keep two independent float accumulator chains.
template <class Block, class Codes>
inline float dot_blocks32(const Block* w, const q16_act* a, std::size_t nb, Codes codes) {
  const __m256i ones = _mm256_set1_epi16(1);
  const auto block = [&](std::size_t b, __m256 acc) {
    const __m256i v = codes(w[b]);
    const __m256i x0 = _mm256_loadu_si256((const __m256i*)a[b].qs);
    const __m256i x1 = _mm256_loadu_si256((const __m256i*)(a[b].qs + 16));
    const __m256i lo = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)), x0);
    const __m256i hi = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)), x1);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(lo, hi)), _mm256_set1_ps(half_to_float(w[b].d) * a[b].d),
                          acc);
    if constexpr (requires { w[b].m; }) {
      const __m256i asum = _mm256_add_epi32(_mm256_madd_epi16(x0, ones), _mm256_madd_epi16(x1, ones));
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(asum), _mm256_set1_ps(half_to_float(w[b].m) * a[b].d), acc);
    }
    return acc;
  };
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    acc0 = block(b, acc0);
    acc1 = block(b + 1, acc1);
  }
  if (b < nb) acc0 = block(b, acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
