// q4_0 repacked into 16-row panels on AVX-512 VNNI (GLM4_QDOT_AVX512VNNI):
// the tile for a few tokens, which decode, batches and drafts run, and the
// unpacking into prefill's int8 panels, whose tile takes 12 tokens at a time
// to this one's 8. repacked_reference.hpp has their scalar twins and the
// arithmetic.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/q4_0/repacked_reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels {

// Tokens per tile: each token's float sums take one register.
inline constexpr std::size_t repacked_max_tokens = 8;

// Panels a decode pass takes at once: one panel's stream keeps decode at
// the memory's rate here.
inline constexpr std::size_t repacked_decode_panels = 1;

// Four activation bytes in every lane, loaded from memory: copying the 32
// bytes into ints first made GCC move each dword through a general register
// (one more port-5 uop per vpdpbusd, which runs on that port too): 8-9 % of
// the 8-session rate.
inline __m512i broadcast_dword(const std::int8_t* four) { return _mm512_broadcastd_epi32(_mm_loadu_si32(four)); }

// T tokens over one panel's blocks [0, nb), into out[t * 16 + r]. Per block
// the four code vectors are split into low and high nibbles once; per token
// eight vpdpbusd against its activations' dwords broadcast from memory, in
// two chains (low nibbles, high nibbles: one chain of eight left 8 tokens
// bound by its latency, 11.0 against 13.0-13.3 GB/s a core with the panel
// in L2), then one float step for the 16 rows. `ahead` > 0 prefetches into
// L2 the panel bytes that far on (decode's stream).
template <std::size_t T>
  requires(T <= repacked_max_tokens)
inline void repacked_tile(const panel_block_q4_0* p, std::size_t nb, const repacked_act* a, std::size_t a_stride,
                          float* out, std::size_t ahead) {
  const __m512i m4 = _mm512_set1_epi8(15);
  __m512 sums[T];
  for (std::size_t t = 0; t < T; ++t) sums[t] = _mm512_setzero_ps();
  for (std::size_t b = 0; b < nb; ++b) {
    const auto* bytes = reinterpret_cast<const char*>(p + b);
    if (ahead)
      for (std::size_t line = 0; line < sizeof(panel_block_q4_0); line += 64)
        _mm_prefetch(bytes + ahead + line, _MM_HINT_T1);
    const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].d)));
    __m512i lo[4], hi[4];
    for (std::size_t c = 0; c < 4; ++c) {
      const __m512i w = _mm512_loadu_si512(p[b].qs[c]);
      lo[c] = _mm512_and_si512(w, m4);
      hi[c] = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
    }
    for (std::size_t t = 0; t < T; ++t) {
      const repacked_act& x = a[t * a_stride + b];
      __m512i low = _mm512_set1_epi32(x.offset_sum), high = _mm512_setzero_si512();
      for (std::size_t c = 0; c < 4; ++c) {
        low = _mm512_dpbusd_epi32(low, lo[c], broadcast_dword(x.qs + 4 * c));         // values 4c .. 4c + 3
        high = _mm512_dpbusd_epi32(high, hi[c], broadcast_dword(x.qs + 16 + 4 * c));  // values 16 + 4c ..
      }
      sums[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(low, high)), _mm512_mul_ps(dw, _mm512_set1_ps(x.d)),
                                sums[t]);
    }
  }
  for (std::size_t t = 0; t < T; ++t) _mm512_storeu_ps(out + t * panel_rows, sums[t]);
}

// A panel's blocks [0, nb) as prefill's int8 panel: an AND and a shift per
// code vector, the scales converted; no transpose (the layout has done it).
inline void unpack_repacked(const panel_block_q4_0* p, std::size_t nb, panel_block* out) {
  const __m512i m4 = _mm512_set1_epi8(15);
  for (std::size_t b = 0; b < nb; ++b) {
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(p[b].d)));
    _mm512_store_ps(out[b].scale[0], d);
    _mm512_store_ps(out[b].offset[0], _mm512_mul_ps(d, _mm512_set1_ps(-8.0f)));
    for (std::size_t c = 0; c < 4; ++c) {
      const __m512i w = _mm512_loadu_si512(p[b].qs[c]);
      _mm512_store_si512(out[b].u[c], _mm512_and_si512(w, m4));
      _mm512_store_si512(out[b].u[c + 4], _mm512_and_si512(_mm512_srli_epi16(w, 4), m4));
    }
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels::q4_0_kernels
