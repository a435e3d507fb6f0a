// iq4_nl's AVX-512 VBMI int8 decode (GLM4_GEMV_AVX512VBMI): q4_0's kernel
// (the same 18-byte blocks: four per step, gathered by one vpermt2b), each
// vector of 4-bit codes then through one vpshufb of offset_levels (level +
// 128, unsigned for vpdpbusd), the sums started from q8x4_act's correction
// for 128: 13 vector instructions per 72 bytes.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/q4_0/decode_avx512vbmi.hpp"
#include "glm4/kernels/x86/level_tables.hpp"

namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels {

template <>
struct int8_decode<int8_family::avx512vbmi>
    : decode_layout, qdetail::avx512_decode_steps<int8_decode<int8_family::avx512vbmi>, block, q8x4_act, 72, 128> {
  static constexpr float unfold = qdetail::f16_unfold;
  static constexpr auto& apply = qdetail::apply_offset_codes;

  struct unpacker : q4_0_kernels::int8_decode<int8_family::avx512vbmi>::unpacker {
    __m512i table = qdetail::table_x512(offset_levels);

    qdetail::nibble_codes operator()(const std::uint8_t* bytes) const {
      qdetail::nibble_codes u = q4_0_kernels::int8_decode<int8_family::avx512vbmi>::unpacker::operator()(bytes);
      u.lo = _mm512_shuffle_epi8(table, u.lo);
      u.hi = _mm512_shuffle_epi8(table, u.hi);
      return u;
    }
  };
};

}  // namespace glm4::inline GLM4_TARGET::kernels::iq4_nl_kernels
