// iq4_nl's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's two blocks per step,
// each lane's codes through one vpshufb of the levels. The levels are
// signed and reach 127, where vpmaddubsw wants unsigned bytes and would
// saturate on level + 128, so as ggml does: |level| against the activation
// with the level's sign (vpsignb), |pair sums| <= 2 * 127 * 127 < 2^15,
// each half widened by its own vpmaddwd. q8x4_act's correction is unused.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"
#include "glm4/kernels/x86/level_tables.hpp"
#include "glm4/kernels/x86/q8x4_avx2.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

// Two blocks' levels (u: block k's values 0-15 in lane k of lo, 16-31 of
// hi) against half h of one token's q8x4_act, added into acc.
inline __m256 apply_levels(const qdetail::q8x4_codes& u, const q8x4_act& x, std::size_t h, __m256 acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  const auto half_sums = [&](__m256i v, const std::int8_t* xs) {
    const __m256i xv = _mm256_load_si256(reinterpret_cast<const __m256i*>(xs + 32 * h));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(v), _mm256_sign_epi8(xv, v)), ones);
  };
  const __m256i isum = _mm256_add_epi32(half_sums(u.lo, x.lo), half_sums(u.hi, x.hi));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.dw, _mm256_load_ps(x.d + 8 * h)), acc);
}

// Two code vectors of nibbles through the levels.
inline void to_levels(qdetail::q8x4_codes& u) {
  const __m256i table = qdetail::table_x256(levels);
  u.lo = _mm256_shuffle_epi8(table, u.lo);
  u.hi = _mm256_shuffle_epi8(table, u.hi);
}

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x4_act, 2, 64> {
  // Blocks 2 p, 2 p + 1: their values 0-15 (lo) and 16-31 (hi) as signed levels.
  static qdetail::q8x4_codes unpack(const block* b) {
    qdetail::q8x4_codes u = qdetail::nibble_codes(b);
    to_levels(u);
    return u;
  }

  static __m256 apply(const qdetail::q8x4_codes& u, const q8x4_act* a, std::size_t p, __m256 acc) {
    return apply_levels(u, a[p / 2], p % 2, acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
