// q5_k's kernels, one piece per file in kernels/q5_k/ (docs/kernels.md),
// q4_k's loops (kernels/q4_k/) with 5-bit codes:
//   reference.hpp    scalar integer references, the int8 decode layout
//   dot_portable.hpp int16 dot, Highway (every target)
//   dot_x86.hpp      int16 dot, AVX2 instructions   GLM4_QDOT_AVX2, GLM4_QDOT_AVX512VNNI
//   decode_avx512vbmi.hpp int8 decode               GLM4_GEMV_AVX512VBMI
//   decode_avx2.hpp  int8 decode                    GLM4_GEMV_AVX2
//   decode_neon.hpp  int8 decode                    GLM4_GEMV_NEON_DOTPROD
// (the AVX-512 VNNI int16 dot runs the 256-bit kernel until it has its own).
// dot_traits<q5_k> takes the ones this target compiles.
#pragma once

#include "glm4/kernels/activations/q16k.hpp"
#include "glm4/kernels/q5_k/dot_portable.hpp"
#include "glm4/kernels/q5_k/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/q5_k.hpp"

#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/q5_k/dot_x86.hpp"
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
#include "glm4/kernels/q5_k/decode_avx512vbmi.hpp"
#elif defined(GLM4_GEMV_AVX2)
#include "glm4/kernels/q5_k/decode_avx2.hpp"
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#include "glm4/kernels/q5_k/decode_neon.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::q5_k> : q16k_activation,
                                 q5_k_kernels::reference,
                                 q5_k_kernels::int16_dot<int16_target>,
                                 q5_k_kernels::int8_decode<int8_target> {
  using block = quant::q5_k::block;
};

}  // namespace glm4::inline GLM4_TARGET::kernels
