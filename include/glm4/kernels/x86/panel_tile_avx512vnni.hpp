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

// 16 rows x T tokens. Per block and group of scales: 8 / Groups loads of the
// panel, and per token 8 / Groups vpdpbusd with the token's four activations
// broadcast from memory, then cvt + mul + 2 fmadd for the group's scale
// and offset. Codes of any size (MaxCode, which AVX2's tile needs, changes
// nothing: vpdpbusd sums in int32).
template <std::size_t T, unsigned MaxCode = panel_max_code, std::size_t Groups>
inline void panel_tile(const panel_block_of<Groups>* p, std::size_t nb, const panel_act<Groups>* a,
                       std::size_t a_stride, float* out) {
  constexpr std::size_t columns = 8 / Groups;  // the panel's columns of four values per group
  __m512 acc[T];
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    for (std::size_t g = 0; g < Groups; ++g) {
      // The column loop unrolled: rolled, GCC copied all T sums between
      // registers twice per column (24 moves beside 12 vpdpbusd), and the
      // tile ran 210-216 instead of 283-287 GMAC/s on one core, data in cache.
      __m512i isum[T];
      for (std::size_t t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
      for (std::size_t c = columns * g; c < columns * (g + 1); ++c) {
        const __m512i w = _mm512_load_si512(p[b].u[c]);
        for (std::size_t t = 0; t < T; ++t) {
          std::int32_t four;
          std::memcpy(&four, a[t * a_stride + b].qs + 4 * c, 4);
          isum[t] = _mm512_dpbusd_epi32(isum[t], w, _mm512_set1_epi32(four));
        }
      }
      const __m512 scale = _mm512_load_ps(p[b].scale[g]), offset = _mm512_load_ps(p[b].offset[g]);
      for (std::size_t t = 0; t < T; ++t) {
        const auto& x = a[t * a_stride + b];
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(scale, _mm512_set1_ps(x.d)), acc[t]);
        acc[t] = _mm512_fmadd_ps(offset, _mm512_set1_ps(group_dsum(x, g)), acc[t]);
      }
    }
  }
  for (std::size_t t = 0; t < T; ++t) _mm512_storeu_ps(out + t * panel_rows, acc[t]);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
