// iq4_nl's kernels, one piece per file in kernels/iq4_nl/ (docs/kernels.md):
//   reference.hpp          scalar integer references, the int8 decode layout
//   dot_portable.hpp       int16 dot, Highway (every target)
//   dot_avx2.hpp           int16 dot                      GLM4_QDOT_AVX2
//   dot_avx512vnni.hpp     int16 dot, 4-row tile          GLM4_QDOT_AVX512VNNI
//   decode_avx2.hpp        int8 decode                    GLM4_GEMV_AVX2
//   decode_avx512vbmi.hpp  int8 decode                    GLM4_GEMV_AVX512VBMI
//   decode_neon.hpp        int8 decode                    GLM4_GEMV_NEON_DOTPROD
// dot_traits<iq4_nl> takes the ones this target compiles.
#pragma once

#include "glm4/kernels/activations/q16.hpp"
#include "glm4/kernels/iq4_nl/dot_portable.hpp"
#include "glm4/kernels/iq4_nl/reference.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/iq4_nl.hpp"

#if defined(GLM4_QDOT_AVX512VNNI)
#include "glm4/kernels/iq4_nl/dot_avx512vnni.hpp"
#elif defined(GLM4_QDOT_AVX2)
#include "glm4/kernels/iq4_nl/dot_avx2.hpp"
#endif

#if defined(GLM4_GEMV_AVX512VBMI)
#include "glm4/kernels/iq4_nl/decode_avx512vbmi.hpp"
#elif defined(GLM4_GEMV_AVX2)
#include "glm4/kernels/iq4_nl/decode_avx2.hpp"
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#include "glm4/kernels/iq4_nl/decode_neon.hpp"
#endif

namespace glm4::inline GLM4_TARGET::kernels {

template <quant::block_format F>
struct dot_traits;

template <>
struct dot_traits<quant::iq4_nl> : q16_activation,
                                   iq4_nl_kernels::reference,
                                   iq4_nl_kernels::int16_dot<int16_target>,
                                   iq4_nl_kernels::int8_decode<int8_target> {
  using block = quant::iq4_nl::block;
};

}  // namespace glm4::inline GLM4_TARGET::kernels
