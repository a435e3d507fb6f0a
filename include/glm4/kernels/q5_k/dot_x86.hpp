// q5_k's int16 dot on x86 (GLM4_QDOT_AVX2 and, until it has a 512-bit one,
// GLM4_QDOT_AVX512VNNI): q4_k's AVX2 loop (q4_k/dot_avx2.hpp) with the fifth
// bits OR-ed into the codes. qh is loaded once per super-block and shifted
// right by 2 per chunk: bit 0 of byte j is then bit 2c of qh[j] (sub-block
// 2c), bit 1 bit 2c + 1.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/q4_k/dot_avx2.hpp"
#include "glm4/kernels/q5_k/dot_portable.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

// The codes of b's chunks, as q4_k's x86 loops take them: qh loaded once
// per super-block, then per chunk c two vectors of bytes (sub-blocks 2c,
// 2c + 1).
inline auto avx2_codes(const block& b) {
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
  return [&b, qh](int c) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
    const __m256i high = _mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c));
    // bit 0 (1) of each byte to bit 4: within the byte, so 16-bit shifts serve
    const __m256i fifth_lo = _mm256_slli_epi16(_mm256_and_si256(high, _mm256_set1_epi8(1)), 4);
    const __m256i fifth_hi = _mm256_slli_epi16(_mm256_and_si256(high, _mm256_set1_epi8(2)), 3);
    return q4_k_kernels::chunk_codes{{_mm256_or_si256(_mm256_and_si256(bits, m4), fifth_lo),
                                      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), fifth_hi)}};
  };
}

struct x86_dot : portable {
  static float dot(const block* w, const activation* a, std::size_t n) {
    return q4_k_kernels::avx2_scale_min_dot(w, a, n, avx2_codes);
  }
};

template <>
struct int16_dot<int16_family::avx2> : x86_dot {};
template <>
struct int16_dot<int16_family::avx512vnni> : x86_dot {};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
