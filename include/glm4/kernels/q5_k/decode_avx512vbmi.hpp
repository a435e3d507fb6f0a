// q5_k's int8 decode on AVX-512 VBMI (GLM4_GEMV_AVX512VBMI): q4_k's kernel
// (q4_k/decode_avx512vbmi.hpp: its unpacking and its apply) with each
// code's fifth bit OR-ed in. Value j of sub-block s takes bit s of qh[j];
// q4_k's code vectors hold in 128-bit lane k values 0-15 or 16-31 of
// sub-block 2k (vectors 0, 1) or 2k + 1 (2, 3), so with qh's bytes 0-15 or
// 16-31 in every 128-bit lane, one gf2p8affineqb per code vector moves bit
// 2k or 2k + 1 of its lane k to bit 4 (the 8x8 bit matrix is per 64-bit
// lane). Codes stay at most 31: two vpdpbusd of four below 8 * 31 * 127.
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
    // bit 2k + odd of each byte of 128-bit lane k -> bit 4 (matrix byte 3)
    static __m512i fifth_bit_of(int odd) {
      const auto table =
          qdetail::lane_table<std::uint64_t, 8>([odd](int q) { return std::uint64_t{1} << (2 * (q / 2) + odd) << 24; });
      return _mm512_loadu_si512(table.data());
    }
    q4_k_decode::unpacker nibbles;
    __m512i even = fifth_bit_of(0), odd = fifth_bit_of(1);

    q4_k_kernels::unpacked_super_block operator()(const std::uint8_t* bytes) const {
      const auto& b = *reinterpret_cast<const block*>(bytes);
      q4_k_kernels::unpacked_super_block u = nibbles.unpack(b);
      const __m512i qh[2] = {_mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qh))),
                             _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qh + 16)))};
      for (int v = 0; v < 4; ++v)
        u.codes[v] = _mm512_or_si512(u.codes[v], _mm512_gf2p8affine_epi64_epi8(qh[v % 2], v < 2 ? even : odd, 0));
      return u;
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q5_k_kernels
