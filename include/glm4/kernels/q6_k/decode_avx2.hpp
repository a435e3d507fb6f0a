// q6_k's int8 decode (one token) on AVX2 (GLM4_GEMV_AVX2).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q6_k/codes_avx2.hpp"
#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    // Per half h, ggml's four 32-value vectors of codes (avx2_codes);
    // vector k = 4 h + j is sub-blocks 2 k (128-bit lane 0) and 2 k + 1
    // (lane 1): one vpmaddubsw, one vpmaddwd by their scale words (a vpshufb
    // of the half's 8 scales, broadcast to both lanes), added in int32.
    const auto pick = [](int j) {  // lane 0 <- word 2 j, lane 1 <- word 2 j + 1
      return _mm256_set_m128i(_mm_set1_epi16(static_cast<std::int16_t>((4 * j + 3) << 8 | (4 * j + 2))),
                              _mm_set1_epi16(static_cast<std::int16_t>((4 * j + 1) << 8 | 4 * j)));
    };
    const __m256i p[4] = {pick(0), pick(1), pick(2), pick(3)};
    qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const block* blk, std::size_t sb, __m256 acc) {
      const block& b = *blk;
      const gemv_activation& x = a[sb];
      const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
      __m256i isum =
          _mm256_madd_epi16(_mm256_slli_epi16(sc, 5), _mm256_load_si256(reinterpret_cast<const __m256i*>(x.neg_sums)));
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const __m256i half_scales = h == 0 ? _mm256_permute4x64_epi64(sc, 0x44) : _mm256_permute4x64_epi64(sc, 0xee);
        __m256i u[4];
        avx2_codes(b, h, u);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          const auto* xs = reinterpret_cast<const __m256i*>(x.qs + 128 * h + 32 * j);
          const __m256i pairs = _mm256_maddubs_epi16(u[j], _mm256_load_si256(xs));
          isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_shuffle_epi8(half_scales, p[j])));
        }
      }
      return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
