// iq4_nl's whole 16-row prefill panels on AVX-512 VNNI
// (GLM4_QDOT_AVX512VNNI): x86/nibble_panel_avx512.hpp's, each nibble's level
// + 128 by one vpshufb of offset_levels (offset -128 d).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/nibble_panel_avx512.hpp"
#include "glm4/quant/iq4_nl.hpp"
#include "glm4/quant/matrix.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::iq4_nl> {
  static void unpack(const matrix<quant::iq4_nl>& w, std::size_t r0, panel_block* p) {
    const __m512i levels = _mm512_broadcast_i32x4(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(iq4_nl_kernels::offset_levels.data())));
    qdetail::unpack_nibble_panel(w, r0, p, -128.0f, [&](const std::uint8_t*, __m512i) {
      return [=](__m512i nibbles, std::size_t) { return _mm512_shuffle_epi8(levels, nibbles); };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
