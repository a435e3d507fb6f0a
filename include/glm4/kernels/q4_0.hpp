// q4_0's kernels, one piece per file in kernels/q4_0/ (docs/kernels.md):
//   reference.hpp          scalar integer references, the int8 decode layout
//   dot_portable.hpp       int16 dot, Highway (every target)
//   dot_avx2.hpp           int16 dot                      GLM4_QDOT_AVX2
//   dot_avx512vnni.hpp     int16 dot, 4-row tile          GLM4_QDOT_AVX512VNNI
//   decode_avx2.hpp        int8 decode                    GLM4_GEMV_AVX2
//   decode_avx512vbmi.hpp  int8 decode                    GLM4_GEMV_AVX512VBMI
//   decode_neon.hpp        int8 decode                    GLM4_GEMV_NEON_DOTPROD
//   repacked_reference.hpp   repacked panels' scalar twins (every target)
//   repacked_avx512vnni.hpp  repacked panels' tile       GLM4_QDOT_AVX512VNNI
//   repacked_avx2.hpp        repacked panels' tile       GLM4_QDOT_AVX2
// dot_traits<q4_0> takes the ones this target compiles; the repacked
// panels' kernels are kernels/repacked_rows.hpp's.
#pragma once

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/q4_0/dot_portable.hpp"
#include "glm4/kernels/q4_0/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q4_0.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/q4_0/dot_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/q4_0/dot_avx2.hpp"
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
#include "glm4/kernels/q4_0/decode_avx512vbmi.hpp"
#elif defined(GLM4_GEMV_AVX2)
#include "glm4/kernels/q4_0/decode_avx2.hpp"
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#include "glm4/kernels/q4_0/decode_neon.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q4_0> : q16_activation,
                                 q4_0_kernels::reference,
                                 q4_0_kernels::int16_dot<int16_target>,
                                 q4_0_kernels::int8_decode<int8_target> {
  using block = quant::q4_0::block;
};

}  // namespace glm4::inline GLM4_TARGET::kernels
