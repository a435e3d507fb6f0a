// q5_k's int8 decode on AVX-512 VBMI (GLM4_GEMV_AVX512VBMI): q4_k's kernel
// (q4_k/decode_avx512vbmi.hpp: its unpacking and its apply) with each
// code's fifth bit OR-ed in. Value j of sub-block s takes bit s of qh[j];
// with the 32 qh bytes in both 256-bit halves, one gf2p8affineqb per code
// vector moves its two sub-blocks' bits to bit 4 (the 8x8 bit matrix is per
// 64-bit lane: the low half's sub-block in lanes 0-3, the high half's in
// 4-7). Codes stay at most 31: the vpmaddubsw pairs below 2 * 31 * 127.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/q4_k/decode_avx512vbmi.hpp"
#include "glm4/kernels/q5_k/reference.hpp"
#include "glm4/kernels/x86/avx512_gemv_rows.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout,
      qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8k_act, sizeof(block), 256> {
  using q4_k_decode = q4_k_kernels::int8_decode<int8_family::avx512vbmi>;
  static constexpr float unfold = 1.0f;
  static constexpr auto& apply = q4_k_decode::apply;

  struct unpacker {
    // bit s of each byte -> bit 4 (matrix byte 3), lanes 0-3 from sub-block
    // lo, lanes 4-7 from hi: code vector v holds sub-blocks (0, 2), (1, 3),
    // (4, 6), (5, 7) (q8k_act's order)
    static __m512i fifth_bit_of(int lo, int hi) {
      const auto to_bit4 = [](int s) { return static_cast<long long>(std::uint64_t{1} << s << 24); };
      return _mm512_inserti64x4(_mm512_set1_epi64(to_bit4(lo)), _mm256_set1_epi64x(to_bit4(hi)), 1);
    }
    q4_k_decode::unpacker nibbles;
    __m512i fifth[4] = {fifth_bit_of(0, 2), fifth_bit_of(1, 3), fifth_bit_of(4, 6), fifth_bit_of(5, 7)};

    q4_k_kernels::unpacked_super_block operator()(const std::uint8_t* bytes) const {
      const auto& b = *reinterpret_cast<const block*>(bytes);
      q4_k_kernels::unpacked_super_block u = nibbles.unpack(b);
      const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh)));
      for (int v = 0; v < 4; ++v)
        u.codes[v] = _mm512_or_si512(u.codes[v], _mm512_gf2p8affine_epi64_epi8(qh, fifth[v], 0));
      return u;
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
