// q6_k weights x q16k activations, after ggml's ggml_vec_dot_q6_K_q8_K (MIT,
// Copyright (c) 2023-2024 The ggml authors) with int16 activations. Per
// 256-value super-block with 16 sub-blocks s of 16 values,
// x = d sc[s] (q - 32), q in [0, 63], sc in [-128, 127]:
//
//   sum = dx d * sum_s sc[s] sum_{j in s} (q[j] - 32) a[j]
//
// The offset is applied to the codes (q - 32 in [-32, 31] fits int8), so no
// activation sums are needed. Bounds: |sc (q - 32)| <= 128 * 32 = 4096 and
// |a| <= 32767, so one product is below 2^27 and 16 of them below 2^31
// (16 * 4096 * 32767 = 2147418112 <= 2^31 - 1): the x86 kernels multiply
// the codes by sc[s] in int16 and let a vector lane sum at most 16
// products (one accumulator per 128-value half), converting to float
// before combining; the portable path's per-sub-block sums are below 2^24
// (16 * 32 * 32767), exact in float, and scaled there.
//
// Layout per half h (128 values): ql[64 h + m] holds value 128 h + m in its
// low nibble and 128 h + 64 + m in its high one (m < 64); qh[32 h + l] holds
// the top 2 bits of 128 h + l, + 32, + 64, + 96 in bit pairs 0-1, 2-3, 4-5,
// 6-7.
//
// The kernels, one file per target family in kernels/q6_k/ (the table in
// docs/kernels.md): reference.hpp (the scalar twins), dot_portable.hpp, the
// int16 dots dot_avx512vnni.hpp / dot_avx2.hpp and the int8 decode kernels
// decode_avx512vbmi.hpp / decode_avx2.hpp / decode_neon.hpp.
#pragma once

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/q6_k/dot_portable.hpp"
#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q6_k.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/q6_k/dot_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/q6_k/dot_avx2.hpp"
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
#include "glm4/kernels/q6_k/decode_avx512vbmi.hpp"
#elif defined(GLM4_GEMV_AVX2)
#include "glm4/kernels/q6_k/decode_avx2.hpp"
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#include "glm4/kernels/q6_k/decode_neon.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q6_k> : q16k_activation,
                                 q6_k_kernels::reference,
                                 q6_k_kernels::int16_dot<int16_target>,
                                 q6_k_kernels::int8_decode<int8_target> {
  using block = quant::q6_k::block;
};

}  // namespace glm4::inline GLM4_TARGET::kernels
