// q4_k's int16 dot and dot_tile on AVX-512 VNNI (GLM4_QDOT_AVX512VNNI); the
// bounds are kernels/q4_k.hpp's.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/dot_portable.hpp"
#include "glm4/kernels/q4_k/scales.hpp"
#include "glm4/kernels/q4_k/x86.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/hsum.hpp"
#include "glm4/kernels/x86/row_lanes.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

template <>
struct int16_dot<int16_family::avx512vnni> : portable {
  // Chunk c: low nibbles (sub-block 2c) and high nibbles (2c + 1), each
  // widened to 32 int16 and multiplied by its scale, one vpdpwssd each
  // against the sub-block's 32 activations; the even and odd sub-blocks
  // go to separate accumulators (two dependency chains, 8 products per
  // lane each).
  static float dot(const block* w, const activation* a, std::size_t n) {
    alignas(16) std::uint8_t sm[16];
    const std::size_t nb = n / 256;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 accm = _mm256_setzero_ps();  // min terms, 8 lanes
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
      qdetail::unpack_q4_k_scales(w[b].scales, sm);
      __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m256i bits = _mm256_loadu_si256((const __m256i*)(w[b].qs + 32 * c));
        const __m512i lo = _mm512_cvtepu8_epi16(_mm256_and_si256(bits, m4));
        const __m512i hi = _mm512_cvtepu8_epi16(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4));
        even = _mm512_dpwssd_epi32(even, _mm512_mullo_epi16(lo, _mm512_set1_epi16(sm[2 * c])),
                                   _mm512_loadu_si512(a[b].qs + 64 * c));
        odd = _mm512_dpwssd_epi32(odd, _mm512_mullo_epi16(hi, _mm512_set1_epi16(sm[2 * c + 1])),
                                  _mm512_loadu_si512(a[b].qs + 64 * c + 32));
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * qdetail::half_to_float(w[b].d)),
                            _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), acc);
      accm = add_min_term(accm, sm + 8, a[b], w[b].dmin);
    }
    return _mm512_reduce_add_ps(acc) - qdetail::hsum(accm);
  }

  // 4 rows x T tokens in row lanes (see qdetail::tile4_blocks32): 128-bit
  // lane r of every vector is row r. Per chunk c, the rows' bytes 0-15 and
  // 16-31 in lanes; their nibbles widened in lane (vpunpck*bw with zero) are
  // values 8k .. 8k + 7 of sub-blocks 2c, 2c + 1, against the activations'
  // 8 values broadcast to the four lanes. The scales and mins of the four
  // rows are one vector of bytes (row r's 16 in lane r) that one in-lane
  // byte shuffle turns into a sub-block's scale per int32 lane.
  // One token: each sub-block's int32 sums times its scale (vpmulld, 8 per
  // super-block); several: the codes times the scale in int16 (sc q <= 945)
  // once for all tokens. A lane sums 8 products per sub-block, scaled:
  // 8 * 8 * 945 * 32767 < 2^31 per super-block, converted to float there.
  // Mins: lanes 0-3 of row r hold mn[s] sums[s] + mn[s + 4] sums[s + 4].
  template <std::size_t T>
  static void tile4_lanes(const block* w, std::size_t w_stride, const activation* a, std::size_t a_stride,
                          std::size_t n, float* out) {
    const block* row[4] = {w, w + w_stride, w + 2 * w_stride, w + 3 * w_stride};
    const __m512i m4 = _mm512_set1_epi8(0x0f), zero = _mm512_setzero_si512();
    const __m512i spread16 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    // byte s (scale) or 8 + s (min) of the lane into each int32, zero-extended
    const auto pick = [](int s) { return _mm512_set1_epi32(static_cast<int>(0x80808000u | static_cast<unsigned>(s))); };
    const __m512i pick_min_lo = _mm512_set4_epi32(0x8080800b, 0x8080800a, 0x80808009, 0x80808008);
    const __m512i pick_min_hi = _mm512_set4_epi32(0x8080800f, 0x8080800e, 0x8080800d, 0x8080800c);
    const __m512i k1 = _mm512_set1_epi32(0x3f3f3f3f), k2 = _mm512_set1_epi32(0x0f0f0f0f),
                  k3 = _mm512_set1_epi32(0x03030303), shift_u2 = _mm512_set4_epi32(4, 0, 0, 0);
    __m512 acc[T];
    for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    const std::size_t nb = n / 256;
    for (std::size_t b = 0; b < nb; ++b) {
      {  // the next four rows, one sequential stream (see tile4_blocks32)
        const std::uintptr_t next = reinterpret_cast<std::uintptr_t>(w) + (4 * w_stride + 4 * b) * sizeof(block);
        for (std::size_t off = 0; off < 4 * sizeof(block); off += 64)
          _mm_prefetch(reinterpret_cast<const char*>(next + off), _MM_HINT_T0);
      }
      // unpack_q4_k_scales for the four rows at once, on the int32 lanes of
      // their 12 packed bytes u0, u1, u2 (16 loaded: the block goes on):
      // [u0 & k1, (u2 & k2) | ((u0 >> 6) & k3) << 4, u1 & k1,
      //  ((u2 >> 4) & k2) | ((u1 >> 6) & k3) << 4]
      const __m512i packed = qdetail::row_lanes(row[0][b].scales, row[1][b].scales, row[2][b].scales, row[3][b].scales);
      const __m512i p0 = _mm512_shuffle_epi32(packed, _MM_PERM_CBCA);  // [u0, u2, u1, u2]
      const __m512i p1 = _mm512_shuffle_epi32(packed, _MM_PERM_BBAA);  // [u0, u0, u1, u1]
      const __m512i scm = _mm512_mask_blend_epi32(
          0xaaaa, _mm512_and_si512(p0, k1),
          _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi32(p0, shift_u2), k2),
                          _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(p1, 6), k3), 4)));
      // d and dmin of the four rows through general registers, one vmovq each
      std::uint64_t d4 = 0, dmin4 = 0;
      for (int r = 0; r < 4; ++r) {
        d4 |= std::uint64_t{row[r][b].d.bits} << (16 * r);
        dmin4 |= std::uint64_t{row[r][b].dmin.bits} << (16 * r);
      }
      const __m256 dd = _mm256_cvtph_ps(_mm_set_epi64x(static_cast<long long>(dmin4), static_cast<long long>(d4)));
      const __m512 d16 = _mm512_permutexvar_ps(spread16, _mm512_castps256_ps512(dd));
      const __m512 dmin16 =
          _mm512_permutexvar_ps(_mm512_add_epi32(spread16, _mm512_set1_epi32(4)), _mm512_castps256_ps512(dd));
      const __m512i mn_lo = _mm512_shuffle_epi8(scm, pick_min_lo), mn_hi = _mm512_shuffle_epi8(scm, pick_min_hi);
      __m512i isum[T];
      for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i qa = qdetail::row_lanes(row[0][b].qs + 32 * c, row[1][b].qs + 32 * c, row[2][b].qs + 32 * c,
                                              row[3][b].qs + 32 * c);
        const __m512i qb = qdetail::row_lanes(row[0][b].qs + 32 * c + 16, row[1][b].qs + 32 * c + 16,
                                              row[2][b].qs + 32 * c + 16, row[3][b].qs + 32 * c + 16);
        for (int hs = 0; hs < 2; ++hs) {  // sub-block s = 2c + hs: low nibbles, then high
          const int s = 2 * c + hs;
          const __m512i na = hs ? _mm512_and_si512(_mm512_srli_epi16(qa, 4), m4) : _mm512_and_si512(qa, m4);
          const __m512i nb2 = hs ? _mm512_and_si512(_mm512_srli_epi16(qb, 4), m4) : _mm512_and_si512(qb, m4);
          __m512i v[4] = {_mm512_unpacklo_epi8(na, zero), _mm512_unpackhi_epi8(na, zero),
                          _mm512_unpacklo_epi8(nb2, zero), _mm512_unpackhi_epi8(nb2, zero)};
          const __m512i sc = _mm512_shuffle_epi8(scm, pick(s));  // int32 lanes
          if constexpr (T > 1) {
            const __m512i sc16 = _mm512_or_si512(sc, _mm512_slli_epi32(sc, 16));
            for (auto& x : v) x = _mm512_mullo_epi16(x, sc16);
          }
          for (std::size_t t = 0; t < T; ++t) {
            const std::int16_t* x = a[t * a_stride + b].qs + 32 * s;
            __m512i p = _mm512_dpwssd_epi32(T > 1 ? isum[t] : zero, v[0],
                                            _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)x)));
            p = _mm512_dpwssd_epi32(p, v[1], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 8))));
            p = _mm512_dpwssd_epi32(p, v[2], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 16))));
            p = _mm512_dpwssd_epi32(p, v[3], _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x + 24))));
            if constexpr (T > 1)
              isum[t] = p;
            else
              isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(p, sc));
          }
        }
      }
      for (std::size_t t = 0; t < T; ++t) {
        const activation& x = a[t * a_stride + b];
        const __m512i msum = _mm512_add_epi32(
            _mm512_mullo_epi32(mn_lo, _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)x.sums))),
            _mm512_mullo_epi32(mn_hi, _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)(x.sums + 4)))));
        const __m512 dx = _mm512_set1_ps(x.d);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d16, dx), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dmin16, dx), acc[t]);
      }
    }
    for (std::size_t t = 0; t < T; ++t) {
      alignas(64) float l[16];
      _mm512_store_ps(l, acc[t]);
      for (int r = 0; r < 4; ++r) out[t * 4 + r] = (l[4 * r] + l[4 * r + 1]) + (l[4 * r + 2] + l[4 * r + 3]);
    }
  }

  template <std::size_t R, std::size_t T>
  requires(R == 4 && T >= 1) static void dot_tile(const block* w, std::size_t w_stride, const activation* a,
                                                  std::size_t a_stride, std::size_t n, float* out) {
    tile4_lanes<T>(w, w_stride, a, a_stride, n, out);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
