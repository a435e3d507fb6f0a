// q4_0's whole 16-row prefill panels on AVX-512 VNNI (GLM4_QDOT_AVX512VNNI):
// x86/nibble_panel_avx512.hpp's, the nibbles the codes (offset -8 d).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/kernels/x86/nibble_panel_avx512.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q4_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

template <>
struct whole_panel_unpack<quant::q4_0> {
  static void unpack(const matrix<quant::q4_0>& w, std::size_t r0, panel_block* p) {
    qdetail::unpack_nibble_panel(w, r0, p, -8.0f, [](const std::uint8_t*, __m512i) {
      return [](__m512i nibbles, std::size_t) { return nibbles; };
    });
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
