// Prefill's matrix-matrix product for the integer formats: weights unpacked
// into 16-row panels of unsigned bytes, activations quantized to int8, and a
// register tile of 16 rows x T tokens: vpdpbusd on AVX-512 VNNI (64
// multiply-adds per instruction, twice the int16 kernels' rate), vpmaddubsw
// on AVX2 (x86/panel_tile_*.hpp).
//
// Decode streams each weight once, so its kernels (the formats' gemv_dot)
// read the file's blocks in place. Prefill reuses every weight for each
// token of the batch: it is compute-bound, so here a 16-row panel is
// unpacked once per matmul into the layout the tile wants (in a per-thread
// buffer of ~K * 20 bytes, L2-resident) and then meets every token of the
// batch.
//
// Every format becomes, per 32-value block b and row r,
//
//   w[j] = scale[r] * u[j] + offset[r],   u[j] in [0, 255]   (exact)
//
//   q4_0  u = q (nibble),      scale = d,         offset = -8 d
//   q5_0  u = q (5 bits),      scale = d,         offset = -16 d
//   q4_1  u = q (nibble),      scale = d,         offset = m
//   q5_1  u = q (5 bits),      scale = d,         offset = m
//   q8_0  u = q + 128,         scale = d,         offset = -128 d
//   q4_k  u = q (nibble),      scale = d sc[s],   offset = -dmin mn[s]   (s = sub-block)
//   q5_k  u = q (5 bits),      scale = d sc[s],   offset = -dmin mn[s]
//   q6_k  u = q (6 bits),      scale = d sc[s],   offset = -32 d sc[s]   (s: 16 values)
//   iq4_nl u = levels[q] + 128, scale = d,        offset = -128 d
//   iq4_xs u = levels[q] + 128, scale = d (ls[s] - 32), offset = -128 scale
//
// and with activations x[j] ~= da * a[j] (a int8, ggml's q8_0 scheme with an
// f32 scale) and dsum = da * sum_j a[j], the block's contribution is
//
//   sum_j w[j] x[j] = (scale da) * isum + offset * dsum,   isum = sum_j u[j] a[j]
//
// isum is exact in int32 (|isum| <= 32 * 255 * 127 < 2^20). q6_k's scale
// changes every 16 values: its blocks carry two groups of scale and offset
// (panel_block_of<2>), its activations the sums of both halves
// (q8_halves_act), and the tile sums each half on its own. The activation
// rounding error (<= da / 2 = amax / 254 per value) is ggml's own: llama.cpp
// quantizes activations the same way for these formats (q8_K, per 256
// values, for the k-quants, which is coarser than this).
//
// Panel layout, per block: u[g][r][0..3] = row r's values 4g .. 4g + 3
// (g = 0..7), so one 64-byte load holds the same four columns of 16 rows,
// and one vpdpbusd against a token's four activations broadcast to all
// lanes adds them into 16 row sums.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "glm4/kernels/activations/q8.hpp"
#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/q4_k/scales.hpp"
#include "glm4/kernels/q5_0/dot_portable.hpp"
#include "glm4/kernels/q5_k/dot_portable.hpp"
#include "glm4/kernels/q6_k/dot_portable.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/iq4_nl.hpp"
#include "glm4/quant/iq4_xs.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/quant/q4_1.hpp"
#include "glm4/quant/q4_k.hpp"
#include "glm4/quant/q5_0.hpp"
#include "glm4/quant/q5_1.hpp"
#include "glm4/quant/q5_k.hpp"
#include "glm4/quant/q6_k.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

inline constexpr std::size_t panel_rows = 16;

// One 32-value block of a 16-row panel (see the layout above), with Groups
// scales and offsets per row: group g holds for values 32 / Groups * g
// onwards (one group, or two for q6_k's sub-blocks of 16).
template <std::size_t Groups>
struct alignas(64) panel_block_of {
  std::uint8_t u[8][panel_rows][4];
  float scale[Groups][panel_rows];
  float offset[Groups][panel_rows];
};
using panel_block = panel_block_of<1>;
static_assert(sizeof(panel_block) == 640);

// The activations the tile meets a panel of Groups groups with: their sums
// per group.
template <std::size_t Groups>
using panel_act = std::conditional_t<Groups == 1, q8_act, q8_halves_act>;

inline float group_dsum(const q8_act& x, std::size_t) { return x.dsum; }
inline float group_dsum(const q8_halves_act& x, std::size_t g) { return x.dsum[g]; }

// Per format: unpack(w, nb32, u, scale, offset) writes a row's values as
// u[32 b + j] and its constants, groups per block of 32 (scale[groups * b +
// g]), for the row's nb32 blocks of 32; max_code bounds u.
template <quant::block_format F>
struct panel_unpack;

// The formats with one scale per 32 values or more.
struct one_group_per_block {
  static constexpr std::size_t groups = 1;
};

template <>
struct panel_unpack<quant::q4_0> : one_group_per_block {
  static constexpr unsigned max_code = 15;
  static void unpack(const quant::q4_0::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      qdetail::split_nibbles(w[b].qs, 16, reinterpret_cast<std::int8_t*>(u), reinterpret_cast<std::int8_t*>(u + 16), 0);
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = -8.0f * scale[b];
    }
  }
};

template <>
struct panel_unpack<quant::q5_0> : one_group_per_block {
  static constexpr unsigned max_code = 31;
  static void unpack(const quant::q5_0::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      qdetail::split_nibbles(w[b].qs, 16, reinterpret_cast<std::int8_t*>(u), reinterpret_cast<std::int8_t*>(u + 16), 0);
      q5_0_kernels::add_fifth_bits(w[b].qh, reinterpret_cast<std::int8_t*>(u));  // nibble + 16 = nibble | 16
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = -16.0f * scale[b];
    }
  }
};

template <>
struct panel_unpack<quant::q4_1> : one_group_per_block {
  static constexpr unsigned max_code = 15;
  static void unpack(const quant::q4_1::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      qdetail::split_nibbles(w[b].qs, 16, reinterpret_cast<std::int8_t*>(u), reinterpret_cast<std::int8_t*>(u + 16), 0);
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = qdetail::half_to_float(w[b].m);
    }
  }
};

template <>
struct panel_unpack<quant::q5_1> : one_group_per_block {
  static constexpr unsigned max_code = 31;
  static void unpack(const quant::q5_1::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      qdetail::split_nibbles(w[b].qs, 16, reinterpret_cast<std::int8_t*>(u), reinterpret_cast<std::int8_t*>(u + 16), 0);
      q5_0_kernels::add_fifth_bits(w[b].qh, reinterpret_cast<std::int8_t*>(u));  // nibble + 16 = nibble | 16
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = qdetail::half_to_float(w[b].m);
    }
  }
};

template <>
struct panel_unpack<quant::q8_0> : one_group_per_block {
  static constexpr unsigned max_code = 255;
  static void unpack(const quant::q8_0::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      for (std::size_t j = 0; j < 32; ++j) u[j] = static_cast<std::uint8_t>(w[b].qs[j] ^ 0x80);  // q + 128
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = -128.0f * scale[b];
    }
  }
};

template <>
struct panel_unpack<quant::iq4_nl> : one_group_per_block {
  static constexpr unsigned max_code = 241;
  static void unpack(const quant::iq4_nl::block* w, std::size_t nb, std::uint8_t* u, float* scale, float* offset) {
    const auto* table = reinterpret_cast<const std::int8_t*>(iq4_nl_kernels::offset_levels.data());
    for (std::size_t b = 0; b < nb; ++b, u += 32) {
      qdetail::nibble_levels(w[b].qs, table, reinterpret_cast<std::int8_t*>(u));
      scale[b] = qdetail::half_to_float(w[b].d);
      offset[b] = -128.0f * scale[b];
    }
  }
};

template <>
struct panel_unpack<quant::iq4_xs> : one_group_per_block {
  static constexpr unsigned max_code = 241;
  static void unpack(const quant::iq4_xs::block* w, std::size_t nb32, std::uint8_t* u, float* scale, float* offset) {
    const auto* table = reinterpret_cast<const std::int8_t*>(iq4_nl_kernels::offset_levels.data());
    for (std::size_t sb = 0; sb < nb32 / 8; ++sb) {
      const float d = qdetail::half_to_float(w[sb].d);
      for (int s = 0; s < 8; ++s, u += 32, ++scale, ++offset) {
        qdetail::nibble_levels(w[sb].qs + 16 * s, table, reinterpret_cast<std::int8_t*>(u));
        *scale = d * static_cast<float>(quant::iq4_xs::sub_scale(w[sb], s));  // 11 + 6 bits: exact
        *offset = -128.0f * *scale;
      }
    }
  }
};

namespace qdetail {
// The k-quants with q4_k's scales and mins (q4_k, q5_k): unpack_chunk(blk,
// c, lo, hi) writes chunk c's codes of sub-blocks 2c (lo) and 2c + 1 (hi).
template <class Block, class UnpackChunk>
void unpack_scale_min_panel(const Block* w, std::size_t nb32, std::uint8_t* u, float* scale, float* offset,
                            UnpackChunk unpack_chunk) {
  for (std::size_t sb = 0; sb < nb32 / 8; ++sb) {
    const auto& blk = w[sb];
    std::uint8_t sm[16];  // scales 0-7, mins 8-15
    unpack_q4_k_scales(blk.scales, sm);
    const float d = half_to_float(blk.d), dmin = half_to_float(blk.dmin);
    for (int c = 0; c < 4; ++c, u += 64)
      unpack_chunk(blk, c, reinterpret_cast<std::int8_t*>(u), reinterpret_cast<std::int8_t*>(u + 32));
    for (std::size_t s = 0; s < 8; ++s) {
      scale[8 * sb + s] = d * static_cast<float>(sm[s]);
      offset[8 * sb + s] = -dmin * static_cast<float>(sm[8 + s]);
    }
  }
}
}  // namespace qdetail

template <>
struct panel_unpack<quant::q4_k> : one_group_per_block {
  static constexpr unsigned max_code = 15;
  static void unpack(const quant::q4_k::block* w, std::size_t nb32, std::uint8_t* u, float* scale, float* offset) {
    // chunk c (32 bytes): sub-block 2c in the low nibbles, 2c + 1 in the high
    qdetail::unpack_scale_min_panel(w, nb32, u, scale, offset,
                                    [](const quant::q4_k::block& b, int c, std::int8_t* lo, std::int8_t* hi) {
                                      qdetail::split_nibbles(b.qs + 32 * c, 32, lo, hi, 0);
                                    });
  }
};

template <>
struct panel_unpack<quant::q5_k> : one_group_per_block {
  static constexpr unsigned max_code = 31;
  static void unpack(const quant::q5_k::block* w, std::size_t nb32, std::uint8_t* u, float* scale, float* offset) {
    qdetail::unpack_scale_min_panel(w, nb32, u, scale, offset, q5_k_kernels::unpack_chunk);
  }
};

template <>
struct panel_unpack<quant::q6_k> {
  static constexpr unsigned max_code = 63;
  static constexpr std::size_t groups = 2;  // its sub-blocks of 16 values
  static void unpack(const quant::q6_k::block* w, std::size_t nb32, std::uint8_t* u, float* scale, float* offset) {
    for (std::size_t sb = 0; sb < nb32 / 8; ++sb, u += 256, scale += 16, offset += 16) {
      q6_k_kernels::portable::codes_minus(w[sb], 0, reinterpret_cast<std::int8_t*>(u));
      const float d = qdetail::half_to_float(w[sb].d);
      for (std::size_t s = 0; s < 16; ++s) {
        scale[s] = d * static_cast<float>(w[sb].scales[s]);  // 11 + 8 bits: exact
        offset[s] = -32.0f * scale[s];
      }
    }
  }
};

template <class F>
using panel_block_for = panel_block_of<panel_unpack<F>::groups>;
template <class F>
using panel_act_for = panel_act<panel_unpack<F>::groups>;

// A target's own unpacking of a whole panel (16 live rows), where it has
// one: unpack(w, r0, p) writes what unpack_panel's row path (below, its
// reference) writes. On x86 every format's (the row path's unpacking,
// its stores transposed in registers: x86/whole_panel.hpp) and on AVX-512
// VNNI q4_0's, q5_0's, q8_0's, q4_k's and iq4_nl's own
// (<format>/panel_avx512vnni.hpp).
template <quant::block_format F>
struct whole_panel_unpack;

template <class F>
concept has_whole_panel_unpack = requires(const matrix<F>& w, panel_block_for<F>* p) {
  whole_panel_unpack<F>::unpack(w, std::size_t{}, p);
};

// The largest code a target's tile multiplies: any byte (vpdpbusd sums in
// int32; AVX2's vpmaddubsw tile takes codes of more than 5 bits as signed
// bytes), none where the target has no tile.
inline constexpr unsigned panel_max_code = int16_target == int16_family::avx512vnni || int16_target == int16_family::avx2
                                               ? 255
                                               : 0;
// The most groups of scales per block it takes: AVX2's tile one (q6_k stays
// on AVX2's int16 path).
inline constexpr std::size_t panel_max_groups = int16_target == int16_family::avx512vnni ? 2 : 1;

// Formats matmul sends through the panel path: those with an unpacker whose
// codes and groups the target's tile takes (GLM4_INT8_PANEL); elsewhere
// prefill keeps the formats' int16 tiles.
template <class F>
concept has_int8_panel = requires { panel_unpack<F>::unpack; } && panel_unpack<F>::max_code <= panel_max_code &&
                         panel_unpack<F>::groups <= panel_max_groups;

// Batches of fewer tokens than this skip the panel path: unpacking a panel
// costs about as much as a few tokens' multiply-adds on it.
inline constexpr std::size_t int8_panel_min_tokens = 16;

namespace qdetail {

// Rows [r0, r0 + rows) (rows <= 16) of w into panel blocks p[0, nb32);
// missing rows are zero (scale and offset 0: they add nothing). The rows go
// through 8 blocks of 32 (256 values, one k-quant super-block) at a time,
// all 16 of them before the next 8, so that the 8 panel blocks (5-6 KiB)
// are written whole from L1; a row at a time swept the whole panel (80 KiB
// at 4096 columns, 270 KiB at 13696) once per row, 16 times over.
template <quant::block_format F>
void unpack_panel(const matrix<F>& w, std::size_t r0, std::size_t rows, panel_block_for<F>* p) {
  if constexpr (has_whole_panel_unpack<F>)
    if (rows == panel_rows) return whole_panel_unpack<F>::unpack(w, r0, p);
  constexpr std::size_t chunk = 8, groups = panel_unpack<F>::groups;
  static_assert(chunk * 32 % F::block_elems == 0);
  const std::size_t nb = w.cols() / 32;
  std::uint8_t u[chunk * 32];
  float scale[chunk * groups], offset[chunk * groups];
  for (std::size_t b0 = 0; b0 < nb; b0 += chunk) {
    const std::size_t m = std::min(chunk, nb - b0);
    for (std::size_t r = 0; r < panel_rows; ++r) {
      if (r < rows) {
        panel_unpack<F>::unpack(w.row(r0 + r) + b0 * 32 / F::block_elems, m, u, scale, offset);
      } else {
        std::memset(u, 0, sizeof u);
        std::fill_n(scale, chunk * groups, 0.0f);
        std::fill_n(offset, chunk * groups, 0.0f);
      }
      for (std::size_t b = 0; b < m; ++b) {
        for (std::size_t g = 0; g < 8; ++g) std::memcpy(p[b0 + b].u[g][r], u + 32 * b + 4 * g, 4);
        for (std::size_t g = 0; g < groups; ++g) {
          p[b0 + b].scale[g][r] = scale[groups * b + g];
          p[b0 + b].offset[g][r] = offset[groups * b + g];
        }
      }
    }
  }
}

// The tile's scalar reference: out[t * 16 + r] for T tokens (a + t * a_stride).
template <std::size_t Groups>
void panel_tile_reference(const panel_block_of<Groups>* p, std::size_t nb, const panel_act<Groups>* a,
                          std::size_t a_stride, std::size_t T, float* out) {
  constexpr std::size_t values = 32 / Groups;  // per group
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < panel_rows; ++r) {
      double sum = 0.0;
      for (std::size_t b = 0; b < nb; ++b) {
        const auto& x = a[t * a_stride + b];
        for (std::size_t g = 0; g < Groups; ++g) {
          std::int32_t isum = 0;
          for (std::size_t j = values * g; j < values * (g + 1); ++j) isum += p[b].u[j / 4][r][j % 4] * x.qs[j];
          sum += static_cast<double>(p[b].scale[g][r] * x.d) * isum +
                 static_cast<double>(p[b].offset[g][r]) * group_dsum(x, g);
        }
      }
      out[t * panel_rows + r] = static_cast<float>(sum);
    }
}

}  // namespace qdetail
}  // namespace glm4::inline GLM4_TARGET::kernels

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/x86/panel_tile_avx512vnni.hpp"
#include "glm4/kernels/iq4_nl/panel_avx512vnni.hpp"
#include "glm4/kernels/q4_0/panel_avx512vnni.hpp"
#include "glm4/kernels/q4_k/panel_avx512vnni.hpp"
#include "glm4/kernels/q5_0/panel_avx512vnni.hpp"
#include "glm4/kernels/q8_0/panel_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/x86/panel_tile_avx2.hpp"
#endif
#if defined(GLM4_INT8_PANEL)
#include "glm4/kernels/x86/whole_panel.hpp"
#endif
