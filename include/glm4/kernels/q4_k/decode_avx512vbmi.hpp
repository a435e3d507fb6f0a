// q4_k's int8 decode (one token) on AVX-512 VBMI (GLM4_GEMV_AVX512VBMI).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/q4_k/x86.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels {

// A super-block unpacked: the four code vectors in q8k_offset's paired
// order (128-bit lane k: sub-block 2k's values 0-15, 16-31, then 2k + 1's),
// the scale words of the even and the odd sub-blocks (each dword's low word
// its lane's scale, the high word zero), the mins times dmin (lanes 8-15;
// exact in f32: 6 bits times an f16) and d in every lane.
struct unpacked_super_block {
  __m512i codes[4], even_scales, odd_scales;
  __m512 mins_dmin, d;
};

// Per 144-byte super-block, two loads of the 128 code bytes and two
// vshufi64x2 that gather 16-byte halves of the four 32-byte chunks, so that
// after the nibble split each dword lane holds the same sub-block in two
// vectors. Per token two chains of two vpdpbusd (codes times activations,
// a lane at most 8 * 31 * 127 < 2^15 with q5_k's fifth bit: an int16), one
// vpmaddwd and one vpdpwssd by the sub-block scales (lanes < 2^22), then a
// single float step; the min term is one fnmadd of the mins times dmin with
// q8k_act::dsum, in the same accumulator. That is 6 integer multiply-adds
// per token and super-block where vpmaddubsw and vpdpwssd per vector took
// 8; d is a vector so that d * x.d is one vmulps with x.d broadcast from
// memory. It matters in the small batches' tile, where a super-block meets
// several tokens: on Sapphire Rapids, q4_k rows in L2 and one thread
// (gemv_in_cache), 2, 4 and 8 tokens took 5, 8 and 15 % less time, one
// token as long.
template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout,
      qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8k_act, sizeof(block), 256> {
  static constexpr float unfold = 1.0f;
  static_assert(q8k_paired_lanes);

  struct unpacker {
    // vpshufb indices: dword l of 128-bit lane k <- the unpacked scale of
    // sub-block 2k + odd (the scales broadcast to every 128-bit lane), its
    // other bytes zeroed (index 0x80)
    static __m512i pick(int odd) {
      const auto table =
          qdetail::lane_table<std::uint32_t, 16>([odd](int l) { return 0x80808000u | unsigned(2 * (l / 4) + odd); });
      return _mm512_loadu_si512(table.data());
    }
    __m512i even = pick(0), odd = pick(1);
    __m512i m4 = _mm512_set1_epi8(15);

    unpacked_super_block operator()(const std::uint8_t* bytes) const {
      return unpack(*reinterpret_cast<const block*>(bytes));
    }

    // q4_k's block, or one with its d, dmin, scales and qs (q5_k's)
    template <class Block>
    unpacked_super_block unpack(const Block& b) const {
      const __m128i sm = unpack_scales(b.scales);  // scales 0-7, mins 0-7
      const __m512i sc = _mm512_broadcast_i32x4(sm);
      const __m512i q01 = _mm512_loadu_si512(b.qs), q23 = _mm512_loadu_si512(b.qs + 64);
      // chunk c's bytes 0-15 (lo) and 16-31 (hi) into 128-bit lane c
      const __m512i lo = _mm512_shuffle_i64x2(q01, q23, 0x88), hi = _mm512_shuffle_i64x2(q01, q23, 0xdd);
      return {{_mm512_and_si512(lo, m4), _mm512_and_si512(hi, m4), qdetail::high_nibbles(lo), qdetail::high_nibbles(hi)},
              _mm512_shuffle_epi8(sc, even),
              _mm512_shuffle_epi8(sc, odd),
              _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(sm)),
                            _mm512_set1_ps(qdetail::half_to_float(b.dmin))),
              // from the f16 in every lane: broadcast as a float, GCC turns
              // d * x.d into a scalar multiply and a broadcast per token
              _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<std::int16_t>(b.d.bits)))};
    }
  };

  static __m512 apply(const unpacked_super_block& u, const q8k_act& x, __m512 acc) {
    const auto chain = [&](int v) {
      return _mm512_dpbusd_epi32(
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), u.codes[v], _mm512_load_si512(x.qs + 64 * v)), u.codes[v + 1],
          _mm512_load_si512(x.qs + 64 * (v + 1)));
    };
    const __m512i isum = _mm512_dpwssd_epi32(_mm512_madd_epi16(chain(0), u.even_scales), chain(2), u.odd_scales);
    // every lane is summed in the end: the min term (lanes 8-15) joins the same accumulator
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(u.d, _mm512_set1_ps(x.d)), acc);
    return _mm512_fnmadd_ps(u.mins_dmin, _mm512_load_ps(x.dsum), acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
