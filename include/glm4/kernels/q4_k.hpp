// q4_k weights x q16k activations, after ggml's ggml_vec_dot_q4_K_q8_K (MIT,
// Copyright (c) 2023-2024 The ggml authors) with int16 activations. Per
// 256-value super-block with sub-blocks s = 0..7 of 32 values,
// x = d sc[s] q - dmin mn[s] (q in [0, 15]; sc, mn in [0, 63]):
//
//   sum = dx d    * sum_s sc[s] * sum_{j in s} q[j] a[j]
//       - dx dmin * sum_s mn[s] * sums[s]
//
// Bounds: a sub-block's sum_j q a is at most 32 * 15 * 32767 < 2^24 and its
// scaled sc[s] sum_j q a < 2^30, but the eight of a super-block together can
// reach 2^33: the portable path scales each sub-block's int32 sum in float;
// the x86 kernels multiply the codes by sc[s] in int16 (sc q <= 945) and
// keep the vector lanes apart, each lane summing 32 products at most
// (32 * 945 * 32767 < 2^30), converting to float before the horizontal sum.
// The min term is at most 8 * 63 * 32 * 32767 < 2^30.
//
// Codes: chunk c (32 bytes) holds sub-block 2c in its low nibbles and 2c + 1
// in its high nibbles, so chunk c against a.qs[64 c .. 64 c + 63] is
// contiguous on both sides.
//
// The kernels, one file per target family in kernels/q4_k/ (the table in
// docs/kernels.md): reference.hpp (the scalar twins), dot_portable.hpp, the
// int16 dots dot_avx512vnni.hpp / dot_avx2.hpp and the int8 decode kernels
// decode_avx512vbmi.hpp / decode_avx2.hpp / decode_neon.hpp; the repacked
// panels' tile repacked_avx2.hpp and its twin repacked_reference.hpp, which
// kernels/repacked_rows.hpp runs.
#pragma once

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/q4_k/dot_portable.hpp"
#include "glm4/kernels/q4_k/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_k.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/q4_k/dot_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/q4_k/dot_avx2.hpp"
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
#include "glm4/kernels/q4_k/decode_avx512vbmi.hpp"
#elif defined(GLM4_GEMV_AVX2)
#include "glm4/kernels/q4_k/decode_avx2.hpp"
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#include "glm4/kernels/q4_k/decode_neon.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q4_k> : q16k_activation,
                                 q4_k_kernels::reference,
                                 q4_k_kernels::int16_dot<int16_target>,
                                 q4_k_kernels::int8_decode<int8_target> {
  using block = quant::q4_k::block;
};

}  // namespace glm4::inline GLM4_TARGET::kernels
