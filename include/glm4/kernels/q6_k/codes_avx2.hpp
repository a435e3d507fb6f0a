// q6_k's codes rebuilt in AVX2 registers, shared by the int16 dot
// (dot_avx2.hpp) and the int8 decode (decode_avx2.hpp).
#pragma once

#include <immintrin.h>

#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

// ggml's AVX2 unpacking: the codes (0-63) of values 128 h + 32 j ..
// + 31 of half h as bytes of vector j, from ql & 15 (j = 0, 1) or ql >> 4
// (j = 2, 3) and qh's bit pair j shifted to bits 4-5.
inline void avx2_codes(const block& b, int h, __m256i u[4]) {
  const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
  const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
  const __m256i q2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
  u[0] = _mm256_or_si256(_mm256_and_si256(q1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
  u[1] = _mm256_or_si256(_mm256_and_si256(q2, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
  u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q1, 4), m4), _mm256_and_si256(qh, m30));
  u[3] =
      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q2, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
