// q4_1's AVX2 int8 decode (GLM4_GEMV_AVX2): q4_0's kernel
// (q4_0/decode_avx2.hpp) with unsigned codes and no correction, plus the
// minimum: each lane's activation sum (q8x4_act's corr, prepared with offset
// -1) times m dx, the two m spread as the two d are. Its tile for a few
// tokens unpacks each step once, as q4_0's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_1/reference.hpp"
#include "glm4/kernels/x86/avx2_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels {

template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  struct unpacked {
    __m256i lo, hi;  // codes 0..15 of the two blocks
    __m256 dw, mw;   // their scales and minimums, four lanes each
  };

  static unpacked unpack(const block* b) {
    const __m256i m4 = _mm256_set1_epi8(15);
    const __m128i spread = _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
    const auto halves = [&](quant::f16::block b0, quant::f16::block b1) {
      const int pair = static_cast<int>(b0.bits | std::uint32_t{b1.bits} << 16);
      return _mm256_cvtph_ps(_mm_shuffle_epi8(_mm_cvtsi32_si128(pair), spread));
    };
    const __m256i q = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1].qs)),
                                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0].qs)));
    return {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4), halves(b[0].d, b[1].d),
            halves(b[0].m, b[1].m)};
  }

  // Step p (blocks 2 p, 2 p + 1) of one token into acc.
  static __m256 apply(const unpacked& u, const gemv_activation* a, std::size_t p, __m256 acc) {
    const gemv_activation& x = a[p / 2];
    const std::size_t h = p % 2;
    const __m256i xlo = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.lo + 32 * h));
    const __m256i xhi = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.hi + 32 * h));
    const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(u.lo, xlo), _mm256_maddubs_epi16(u.hi, xhi));
    const __m256i isum = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
    const __m256i asum = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.corr + 8 * h));
    const __m256 dx = _mm256_load_ps(x.d + 8 * h);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(u.dw, dx), acc);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(asum), _mm256_mul_ps(u.mw, dx), acc);
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

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_1_kernels
