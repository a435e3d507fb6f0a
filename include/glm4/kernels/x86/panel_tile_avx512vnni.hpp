// The AVX-512 VNNI tile of the int8 prefill panels (int8_panel.hpp;
// GLM4_QDOT_AVX512VNNI).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// Tokens per tile in one_panel (matmul_rows.hpp): 12 accumulators, 12 int32
// sums and the panel load of 32 registers.
inline constexpr std::size_t panel_tile_tokens = 12;

// 16 rows x T tokens. Per block: 8 loads of the panel, and per token 8
// vpdpbusd with the token's four activations as an embedded broadcast, then
// cvt + mul + 2 fmadd for the block's scale and offset.
template <std::size_t T>
inline void panel_tile(const panel_block* p, std::size_t nb, const q8_act* a, std::size_t a_stride, float* out) {
  __m512 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    __m512i isum[T];
    for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
    for (std::size_t g = 0; g < 8; ++g) {
      const __m512i w = _mm512_load_si512(p[b].u[g]);
      for (std::size_t t = 0; t < T; ++t) {
        std::int32_t four;
        std::memcpy(&four, a[t * a_stride + b].qs + 4 * g, 4);
        isum[t] = _mm512_dpbusd_epi32(isum[t], w, _mm512_set1_epi32(four));
      }
    }
    const __m512 scale = _mm512_load_ps(p[b].scale), offset = _mm512_load_ps(p[b].offset);
    for (std::size_t t = 0; t < T; ++t) {
      const q8_act& x = a[t * a_stride + b];
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(scale, _mm512_set1_ps(x.d)), acc[t]);
      acc[t] = _mm512_fmadd_ps(offset, _mm512_set1_ps(x.dsum), acc[t]);
    }
  }
  for (std::size_t t = 0; t < T; ++t) _mm512_storeu_ps(out + t * panel_rows, acc[t]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
