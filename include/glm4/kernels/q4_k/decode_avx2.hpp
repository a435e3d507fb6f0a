// q4_k's int8 decode (one token) on AVX2 (GLM4_GEMV_AVX2), and its loop,
// which q5_k's x86 decode shares.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/q4_k/x86.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// The AVX2 int8 decode of the super-blocks with q4_k's scales and mins
// (q4_k, q5_k): per sub-block s (chunk s / 2's low or high codes against
// q8k_act's 32 activations of s), one vpmaddubsw and one vpmaddwd by sc[s]
// (a vpshufb of the unpacked scales: word <- byte s, high byte zero), added
// in int32 (codes at most 31: 8 * 2 * 7874 * 63 < 2^23 a lane); the min
// term over 8 lanes, mins times q8k_act::dsum[8 ..]. codes(b) gives a
// function of the chunk c returning its chunk_codes (q4_k/x86.hpp).
template <std::size_t R, class Block, class Codes>
void avx2_scale_min_gemv(const Block* w, std::size_t w_stride, const q8k_act* a, std::size_t n, float* out,
                         Codes codes) {
  qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const Block* blk, std::size_t sb, __m256 acc) {
    const Block& b = *blk;
    const q8k_act& x = a[sb];
    const __m128i sm = unpack_scales(b.scales);  // scales 0-7, mins 0-7
    const __m256i sc = _mm256_broadcastsi128_si256(sm);
    const auto chunk = codes(b);
    __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const chunk_codes u = chunk(c);
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const int s = 2 * c + h;
        const auto* xs = reinterpret_cast<const __m256i*>(x.sub_block(static_cast<std::size_t>(s)));
        const __m256i pairs = _mm256_maddubs_epi16(u.sub[h], _mm256_load_si256(xs));
        const __m256i scale = _mm256_shuffle_epi8(sc, _mm256_set1_epi16(static_cast<std::int16_t>(0x8000 | s)));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, scale));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(qdetail::half_to_float(b.d) * x.d), acc);
    const __m256 mins = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
    return _mm256_fnmadd_ps(_mm256_mul_ps(mins, _mm256_load_ps(x.dsum + 8)),
                            _mm256_set1_ps(qdetail::half_to_float(b.dmin)), acc);
  });
}

template <>
struct int8_decode<int8_family::avx2> : decode_layout {
  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    const __m256i m4 = _mm256_set1_epi8(15);
    avx2_scale_min_gemv<R>(w, w_stride, a, n, out, [&](const block& b) {
      return [&](int c) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
        return chunk_codes{{_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)}};
      };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
