// q6_k's int16 dot and dot_tile on AVX-512 VNNI (GLM4_QDOT_AVX512VNNI); the
// bounds are kernels/q6_k.hpp's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q6_k/dot_portable.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  // The unpacking, shared by dot and dot_tokens (its constants made once,
  // before a kernel's loop). Per half: ql (64 bytes) & 15 are values 0-63,
  // ql >> 4 values 64-127; the high bits come from qh broadcast to both
  // 256-bit halves and shifted per half into bits 4-5. Each 32-value
  // quarter (sub-blocks s, s + 1) is widened to int16, times
  // [sc[s] x 16 | sc[s + 1] x 16] (vpermw from the 16 scales).
  struct unpacker {
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30), off = _mm512_set1_epi8(32);
    const __m512i shl = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(4), _mm512_set1_epi16(2));
    const __m512i shr = _mm512_mask_blend_epi16(0xffff0000u, _mm512_set1_epi16(0), _mm512_set1_epi16(2));
    const __m512i pair = _mm512_mask_blend_epi16(0xffff0000u, _mm512_setzero_si512(), _mm512_set1_epi16(1));

    // The 16 scales as int16 words (the upper 256 bits undefined, unused).
    static __m512i scale_words(const block& b) {
      return _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)b.scales)));
    }

    // Half h's codes minus 32 as bytes: values 128 h + 0-63 in q[0], 128 h +
    // 64-127 in q[1].
    void half_codes(const block& b, int h, __m512i q[2]) const {
      const __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(b.qh + 32 * h)));
      q[0] = _mm512_sub_epi8(
          _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, shl), m30)), off);
      q[1] = _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                             _mm512_and_si512(_mm512_srlv_epi16(qh, shr), m30)),
                             off);
    }

    // Quarter k of half h (values 128 h + 32 k .., sub-blocks 8 h + 2 k,
    // + 1) as int16 times its scales.
    __m512i scaled_quarter(const __m512i q[2], __m512i sc, int h, int k) const {
      const __m512i v =
          _mm512_cvtepi8_epi16(k % 2 ? _mm512_extracti64x4_epi64(q[k / 2], 1) : _mm512_castsi512_si256(q[k / 2]));
      const __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(pair, _mm512_set1_epi16(8 * h + 2 * k)), sc);
      return _mm512_mullo_epi16(v, scale);
    }
  };

  static float dot(const block* w, const activation* a, std::size_t n) {
    const unpacker u;
    const std::size_t nb = n / 256;
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      const __m512i sc = unpacker::scale_words(w[b]);
      __m512 half_sums = _mm512_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        __m512i q[2];
        u.half_codes(w[b], h, q);
        __m512i isum = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k)
          isum =
              _mm512_dpwssd_epi32(isum, u.scaled_quarter(q, sc, h, k), _mm512_loadu_si512(a[b].qs + 128 * h + 32 * k));
        half_sums = _mm512_add_ps(half_sums, _mm512_cvtepi32_ps(isum));
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)), half_sums, acc);
    }
    return _mm512_reduce_add_ps(acc);
  }

  // One row against T activation rows (out[t * out_stride]): each quarter
  // rebuilt and scaled once for all T.
  template <std::size_t T>
  static void dot_tokens(const block* w, const activation* a, std::size_t a_stride, std::size_t n, float* out,
                         std::size_t out_stride) {
    const unpacker u;
    __m512 acc[T];
    for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (std::size_t b = 0; b < n / 256; ++b) {
      const __m512i sc = unpacker::scale_words(w[b]);
      __m512 half_sums[T];
      for (std::size_t t = 0; t < T; ++t) half_sums[t] = _mm512_setzero_ps();
      for (int h = 0; h < 2; ++h) {
        __m512i q[2];
        u.half_codes(w[b], h, q);
        __m512i isum[T];
        for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {
          const __m512i vs = u.scaled_quarter(q, sc, h, k);
          for (std::size_t t = 0; t < T; ++t)
            isum[t] = _mm512_dpwssd_epi32(isum[t], vs, _mm512_loadu_si512(a[t * a_stride + b].qs + 128 * h + 32 * k));
        }
        for (std::size_t t = 0; t < T; ++t) half_sums[t] = _mm512_add_ps(half_sums[t], _mm512_cvtepi32_ps(isum[t]));
      }
      const float d = qdetail::half_to_float(w[b].d);
      for (std::size_t t = 0; t < T; ++t)
        acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(a[t * a_stride + b].d * d), half_sums[t], acc[t]);
    }
    for (std::size_t t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
  }

  // 4 rows x T tokens, prefill only (T >= 2): each weight super-block is
  // rebuilt once for T tokens. One token stays with dot.
  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 2) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    for (std::size_t r = 0; r < R; ++r) dot_tokens<T>(w + r * w_stride, a, a_stride, n, out + r, R);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
