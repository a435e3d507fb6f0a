// q4_0's AVX2 int8 decode (GLM4_GEMV_AVX2): two blocks per step, their 16
// code bytes in the two 128-bit lanes, unpacked to & 15 and >> 4 & 15 and
// the two f16 scales (spread by one vpshufb); against q8x4_act's lo and hi
// bytes of the same two blocks (lo[32 h ..], hi[32 h ..]), two vpmaddubsw
// (each int16 at most 2 * 15 * 127) added, one vpmaddwd to int32 lanes 4
// per block, the -8 correction. gemv_dot: R rows (1 or 2) for one token;
// gemv_tile: a chunk of one row for T tokens, each step unpacked once.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_0/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  struct unpacked {
    __m256i lo, hi;  // codes 0..15 of the two blocks
    __m256 dw;       // their scales, four lanes each
  };

  static unpacked unpack(const block* b) {
    const __m256i m4 = _mm256_set1_epi8(15);
    const __m128i spread = _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
    const __m256i q = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1].qs)),
                                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0].qs)));
    const int scales = static_cast<int>(b[0].d.bits | std::uint32_t{b[1].d.bits} << 16);
    return {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
            _mm256_cvtph_ps(_mm_shuffle_epi8(_mm_cvtsi32_si128(scales), spread))};
  }

  // Step p (blocks 2 p, 2 p + 1) of one token into acc.
  static __m256 apply(const unpacked& u, const gemv_activation* a, std::size_t p, __m256 acc) {
    const gemv_activation& x = a[p / 2];
    const std::size_t h = p % 2;
    const __m256i xlo = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.lo + 32 * h));
    const __m256i xhi = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.hi + 32 * h));
    const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(u.lo, xlo), _mm256_maddubs_epi16(u.hi, xhi));
    const __m256i corr = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
    const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)), corr);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.dw, _mm256_load_ps(x.d + 8 * h)), acc);
  }

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::avx2_gemv_rows<R, 2>(w, w_stride, n / 64, out, [&](const block* b, std::size_t p, __m256 acc) {
      return apply(unpack(b), a, p, acc);
    });
  }

  // The tile (matmul_rows.hpp's has_gemv_tile): values [c0, c1) of one row.
  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc) {
    qdetail::avx2_gemv_tile<T, 2>(w, c0 / 64, c1 / 64, a, a_stride, acc, unpack, apply);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
