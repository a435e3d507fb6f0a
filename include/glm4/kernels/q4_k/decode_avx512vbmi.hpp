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

// A super-block unpacked: the four code vectors, each with its scale words,
// the mins as floats (lanes 8-15) and the two f16 factors.
struct unpacked_super_block {
  __m512i codes[4], scales[4];
  __m512 mins;
  float d, dmin;
};

// Per 144-byte super-block, two loads of the 128 code bytes, whose nibbles
// are sub-blocks (0, 2), (1, 3), (4, 6), (5, 7) in the two halves of four
// vectors (q8k_act's order); per vector one vpmaddubsw (code pairs times
// activations, at most 2 * 15 * 127 in int16) and one vpdpwssd by the
// sub-block scales as int16 words (one in-lane vpshufb each), into one int32
// sum of the super-block (at most 4 * 2 * 3810 * 63 < 2^21 per lane), then a
// single float step; the min term is one product of the unpacked mins with
// q8k_act::dsum, in the same accumulator.
template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout,
      qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8k_act, sizeof(block), 256> {
  static constexpr float unfold = 1.0f;

  struct unpacker {
    // vpshufb indices: int16 words of vector i <- the unpacked scale of its
    // sub-blocks (q8k_act's order: s0 in 128-bit lanes 0-1, s0 + 2 in lanes
    // 2-3) as the low byte, the high byte zeroed (index 0x80), from the
    // unpacked scales broadcast to every 128-bit lane
    static __m512i pick(int i) {
      const int s0 = 4 * (i / 2) + i % 2;
      return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<std::int16_t>(0x8000 | s0)),
                                _mm256_set1_epi16(static_cast<std::int16_t>(0x8000 | (s0 + 2))), 1);
    }
    __m512i picks[4] = {pick(0), pick(1), pick(2), pick(3)};
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
      return {{_mm512_and_si512(q01, m4), qdetail::high_nibbles(q01), _mm512_and_si512(q23, m4),
               qdetail::high_nibbles(q23)},
              {_mm512_shuffle_epi8(sc, picks[0]), _mm512_shuffle_epi8(sc, picks[1]), _mm512_shuffle_epi8(sc, picks[2]),
               _mm512_shuffle_epi8(sc, picks[3])},
              _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(sm)),
              qdetail::half_to_float(b.d),
              qdetail::half_to_float(b.dmin)};
    }
  };

  static __m512 apply(const unpacked_super_block& u, const q8k_act& x, __m512 acc) {
    __m512i isum = _mm512_setzero_si512();
    for (int i = 0; i < 4; ++i)
      isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(u.codes[i], _mm512_load_si512(x.qs[i])), u.scales[i]);
    // every lane is summed in the end: the min term (lanes 8-15) joins the same accumulator
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(u.d * x.d), acc);
    return _mm512_fnmadd_ps(_mm512_mul_ps(u.mins, _mm512_load_ps(x.dsum)), _mm512_set1_ps(u.dmin), acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_k_kernels
