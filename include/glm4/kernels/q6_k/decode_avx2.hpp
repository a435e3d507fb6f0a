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

// Per half h, ggml's four 32-value vectors of codes (avx2_codes); vector
// k = 4 h + j is sub-blocks 2 k (128-bit lane 0) and 2 k + 1 (lane 1): one
// vpmaddubsw, one vpmaddwd by their scale words (a vpshufb of the half's 8
// scales, broadcast to both lanes), added in int32. The operands come from a
// source: decode's computes each where it is used (super_block, the
// registers stay few), the tile's holds a super-block unpacked once for its
// T tokens (unpacked); either way each token's arithmetic is apply's, so
// the two agree bit for bit.
template <>
struct int8_decode<int8_family::avx2> : decode_layout, qdetail::avx2_gemv_partial {
  struct super_block {
    const block& b;
    __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));

    const __m256i* half_codes(int h, __m256i scratch[4]) const {
      avx2_codes(b, h, scratch);
      return scratch;
    }
    __m256i scale(int k) const {  // lane 0 <- word 2 j, lane 1 <- word 2 j + 1 of half k / 4
      const int j = k % 4;
      const __m256i half_scales = k < 4 ? _mm256_permute4x64_epi64(sc, 0x44) : _mm256_permute4x64_epi64(sc, 0xee);
      return _mm256_shuffle_epi8(
          half_scales, _mm256_set_m128i(_mm_set1_epi16(static_cast<std::int16_t>((4 * j + 3) << 8 | (4 * j + 2))),
                                        _mm_set1_epi16(static_cast<std::int16_t>((4 * j + 1) << 8 | 4 * j))));
    }
    __m256i scales32() const { return _mm256_slli_epi16(sc, 5); }  // the offset's term
    float d() const { return qdetail::half_to_float(b.d); }
  };

  struct unpacked {
    __m256i codes[8], scales[8], times32;
    float d_value;

    explicit unpacked(const block* b) {
      const super_block src{*b};
      src.half_codes(0, codes);
      src.half_codes(1, codes + 4);
      for (int k = 0; k < 8; ++k) scales[k] = src.scale(k);
      times32 = src.scales32();
      d_value = src.d();
    }
    // not copied: GCC 12 copies them through the stack in 128-bit halves,
    // and every 256-bit load of such a copy stalls on Intel cores
    const __m256i* half_codes(int h, __m256i*) const { return codes + 4 * h; }
    __m256i scale(int k) const { return scales[k]; }
    __m256i scales32() const { return times32; }
    float d() const { return d_value; }
  };

  // Super-block sb of one token into acc.
  template <class Source>
  static __m256 apply(const Source& u, const gemv_activation* a, std::size_t sb, __m256 acc) {
    const gemv_activation& x = a[sb];
    __m256i isum = _mm256_madd_epi16(u.scales32(), _mm256_load_si256(reinterpret_cast<const __m256i*>(x.neg_sums)));
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      __m256i scratch[4];
      const __m256i* codes = u.half_codes(h, scratch);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        const auto* xs = reinterpret_cast<const __m256i*>(x.qs + 128 * h + 32 * j);
        const __m256i pairs = _mm256_maddubs_epi16(codes[j], _mm256_load_si256(xs));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, u.scale(4 * h + j)));
      }
    }
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u.d() * x.d), acc);
  }

  template <std::size_t R>
  requires(R == 1 || R == 2) static void gemv_dot(const block* w, std::size_t w_stride, const gemv_activation* a,
                                                  std::size_t n, float* out) {
    qdetail::avx2_gemv_rows<R, 1>(w, w_stride, n / 256, out, [&](const block* b, std::size_t sb, __m256 acc) {
      return apply(super_block{*b}, a, sb, acc);
    });
  }

  // The tile (matmul_rows.hpp's has_gemv_tile): values [c0, c1) of one row.
  template <std::size_t T>
  static void gemv_tile(const block* w, const gemv_activation* a, std::size_t a_stride, std::size_t c0,
                        std::size_t c1, gemv_partial* acc, std::size_t ahead) {
    qdetail::avx2_gemv_tile<T, 1>(
        w, c0 / 256, c1 / 256, a, a_stride, acc, ahead, [](const block* b) { return unpacked(b); }, apply<unpacked>);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
