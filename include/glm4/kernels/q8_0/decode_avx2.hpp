// q8_0's AVX2 int8 decode (GLM4_GEMV_AVX2): vpmaddubsw takes unsigned
// bytes, and the codes + 128 times int8 would saturate its int16 sums, so a
// block goes as |q| times the activations with q's sign (vpsignb, ggml's
// way): pair sums at most 2 * 128 * 127 < 2^15, a hostile -128 included
// (vpabsb leaves it 0x80: 128 unsigned). One vpmaddwd to int32, 8 lanes per
// block, against q8x2_act (whose corr this kernel does not need). Two
// blocks per step; gemv_dot: R rows (1 or 2) for one token; gemv_tile: a
// chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q8_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels {

template <>
struct int8_decode<int8_family::avx2>
    : decode_layout, qdetail::avx2_decode_steps<int8_decode<int8_family::avx2>, block, q8x2_act, 2, 64> {
  struct unpacked {
    __m256i codes[2], magnitudes[2];  // block k's codes and |codes|
    __m256 dw[2];                     // its scale in every lane
  };

  static unpacked unpack(const block* b) {
    unpacked u;
    for (std::size_t k = 0; k < 2; ++k) {
      u.codes[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[k].qs));
      u.magnitudes[k] = _mm256_abs_epi8(u.codes[k]);
      u.dw[k] = _mm256_set1_ps(qdetail::half_to_float(b[k].d));
    }
    return u;
  }

  // Step p (blocks 2 p, 2 p + 1: activation group p) of one token into acc.
  static __m256 apply(const unpacked& u, const gemv_activation* a, std::size_t p, __m256 acc) {
    const gemv_activation& x = a[p];
#pragma GCC unroll 2
    for (std::size_t k = 0; k < 2; ++k) {
      const __m256i xs = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * k));
      const __m256i s16 = _mm256_maddubs_epi16(u.magnitudes[k], _mm256_sign_epi8(xs, u.codes[k]));
      const __m256i isum = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.dw[k], _mm256_load_ps(x.d + 8 * k)), acc);
    }
    return acc;
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q8_0_kernels
