// q4_k's int16 dot on AVX2 (GLM4_QDOT_AVX2), and its loop, which q5_k's
// x86 dot shares; the bounds are kernels/q4_k.hpp's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/dot_portable.hpp"
#include "glm4/kernels/q4_k/scales.hpp"
#include "glm4/kernels/q4_k/x86.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/hsum.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// The AVX2 int16 dot of the super-blocks with q4_k's scales and mins (q4_k,
// q5_k): per 16 values, codes widened to int16 times the scale, pmaddwd
// with the activations; the even and odd sub-blocks go to separate
// accumulators (16 products per lane each). codes(b) gives a function of
// the chunk c returning its codes of sub-blocks 2c and 2c + 1 (at most 31:
// sc q <= 1953, 16 * 1953 * 32767 < 2^31 a lane).
template <class Block, class Codes>
float avx2_scale_min_dot(const Block* w, const activation* a, std::size_t n, Codes codes) {
  alignas(16) std::uint8_t sm[16];
  const std::size_t nb = n / 256;
  __m256 accm = _mm256_setzero_ps();  // min terms, 8 lanes
  __m256 acc = _mm256_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    qdetail::unpack_q4_k_scales(w[b].scales, sm);
    const auto chunk = codes(w[b]);
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const chunk_codes u = chunk(c);
      const __m256i lo = u.sub[0], hi = u.sub[1];
      const __m256i sl = _mm256_set1_epi16(sm[2 * c]), sh = _mm256_set1_epi16(sm[2 * c + 1]);
      const std::int16_t* x = a[b].qs + 64 * c;
      const auto madd = [](__m128i q, __m256i scale, const std::int16_t* xs) {
        return _mm256_madd_epi16(_mm256_mullo_epi16(_mm256_cvtepu8_epi16(q), scale),
                                 _mm256_loadu_si256((const __m256i*)xs));
      };
      even = _mm256_add_epi32(even, madd(_mm256_castsi256_si128(lo), sl, x));
      even = _mm256_add_epi32(even, madd(_mm256_extracti128_si256(lo, 1), sl, x + 16));
      odd = _mm256_add_epi32(odd, madd(_mm256_castsi256_si128(hi), sh, x + 32));
      odd = _mm256_add_epi32(odd, madd(_mm256_extracti128_si256(hi, 1), sh, x + 48));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)),
                          _mm256_cvtepi32_ps(_mm256_add_epi32(even, odd)), acc);
    accm = add_min_term(accm, sm + 8, a[b], w[b].dmin);
  }
  return qdetail::hsum(acc) - qdetail::hsum(accm);
}

template <>
struct int16_dot<int16_family::avx2> : portable {
  static float dot(const block* w, const activation* a, std::size_t n) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    return avx2_scale_min_dot(w, a, n, [&](const block& b) {
      return [&](int c) {
        const __m256i bits = _mm256_loadu_si256((const __m256i*)(b.qs + 32 * c));
        return chunk_codes{{_mm256_and_si256(bits, m4), _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4)}};
      };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
