// q6_k's int8 decode (one token) on AVX-512 VBMI (GLM4_GEMV_AVX512VBMI).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

// A super-block unpacked: the four vectors of 6-bit codes, each with its
// scale words, the scales times 32 against the activations' negated sums
// (the -32 offset), and d.
struct unpacked_super_block {
  __m512i codes[4], scales[4], offset_scales;
  float d;
};

// Per half h, the 64 ql bytes and the half's 32 qh bytes in both 256-bit
// halves: values 64 v + m of vector v = 2 h (low nibbles) and 2 h + 1 (high
// nibbles), their top bits from qh byte m % 32, bit pair 2 (v % 2) + m / 32,
// moved to bits 4-5 by one gf2p8affineqb (whose 8x8 bit matrix is per 64-bit
// lane: pair p in lanes 0-3, p + 1 in 4-7). Per vector one vpmaddubsw and
// one vpdpwssd by the scale words (word w of vector v: sub-block 4 v + w / 8,
// one vpermw of the 16 scales). 38 instructions per 210-byte super-block and
// row, loads included.
template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout,
      qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8k_bsums_act, sizeof(block), 256> {
  static constexpr float unfold = 1.0f;

  struct unpacker {
    static constexpr long long pair_bits(int p) {  // bit 2 p -> bit 4 (matrix byte 3), 2 p + 1 -> 5 (byte 2)
      return static_cast<long long>(std::uint64_t{1} << (2 * p) << 24 | std::uint64_t{2} << (2 * p) << 16);
    }
    alignas(64) static constexpr auto words = qdetail::lane_table<std::uint16_t, 128>([](int i) { return i / 8; });
    __m512i bits01 = _mm512_inserti64x4(_mm512_set1_epi64(pair_bits(0)), _mm256_set1_epi64x(pair_bits(1)), 1);
    __m512i bits23 = _mm512_inserti64x4(_mm512_set1_epi64(pair_bits(2)), _mm256_set1_epi64x(pair_bits(3)), 1);
    __m512i pick[4] = {_mm512_load_si512(words.data()), _mm512_load_si512(words.data() + 32),
                       _mm512_load_si512(words.data() + 64), _mm512_load_si512(words.data() + 96)};
    __m512i m4 = _mm512_set1_epi8(15);

    unpacked_super_block operator()(const std::uint8_t* bytes) const {
      const auto& b = *reinterpret_cast<const block*>(bytes);
      unpacked_super_block u;
      // the 16 scales as words, the upper 256 bits zero
      const __m512i sc =
          _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales))));
      u.offset_scales = _mm512_slli_epi16(sc, 5);
      __m512i qh = _mm512_loadu_si512(b.qh);
      qdetail::pin(qh);
      for (int h = 0; h < 2; ++h) {
        __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
        qdetail::pin(ql);  // one load for both uses (vpternlog overwrites its first operand)
        const __m512i q = h == 0 ? _mm512_shuffle_i64x2(qh, qh, 0x44) : _mm512_shuffle_i64x2(qh, qh, 0xee);
        // (ql & 15) | top bits: vpternlog's 0xea is (a & b) | c
        u.codes[2 * h] = _mm512_ternarylogic_epi64(ql, m4, _mm512_gf2p8affine_epi64_epi8(q, bits01, 0), 0xea);
        u.codes[2 * h + 1] = _mm512_or_si512(qdetail::high_nibbles(ql), _mm512_gf2p8affine_epi64_epi8(q, bits23, 0));
      }
      for (int v = 0; v < 4; ++v) u.scales[v] = _mm512_permutexvar_epi16(pick[v], sc);
      u.d = qdetail::half_to_float(b.d);
      return u;
    }
  };

  static __m512 apply(const unpacked_super_block& u, const gemv_activation& x, __m512 acc) {
    const __m512i neg_sums = _mm512_zextsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(x.neg_sums)));
    __m512i isum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), u.offset_scales, neg_sums);
    for (int v = 0; v < 4; ++v)
      isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(u.codes[v], _mm512_load_si512(x.qs + 64 * v)), u.scales[v]);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(u.d * x.d), acc);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
