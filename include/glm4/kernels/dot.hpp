// How a weight row in format F meets the activations: `dot_traits<F>`.
//   activation      the block type activations are converted to, once per
//                   activation row per matmul (f32 for float formats; int16
//                   blocks for integer formats, so the inner loop is an exact
//                   integer dot product, as ggml does it with int8);
//   prepare(x, a, n)   converts n activations;
//   dot(w, a, n)       one weight row against prepared activations;
// and, where the target has them, dot_tile<R, T> (matmul_rows.hpp) and the int8
// decode kernel gemv_prepare / gemv_dot<R> over its own activation layout
// (kernels/activations/, docs/kernels.md).
// Each quantized format's kernels specialize dot_traits in kernels/<format>.hpp,
// composed from the pieces in kernels/<format>/; a format without them falls
// back to its scalar reference with f32 activations, so a new block type
// works (slowly) the day it is added (docs/adding-a-format.md).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "glm4/kernels/dot_bf16.hpp"
#include "glm4/kernels/dot_f16.hpp"
#include "glm4/kernels/dot_f32.hpp"
#include "glm4/kernels/iq4_nl.hpp"
#include "glm4/kernels/iq4_xs.hpp"
#include "glm4/kernels/q4_0.hpp"
#include "glm4/kernels/q4_1.hpp"
#include "glm4/kernels/q4_k.hpp"
#include "glm4/kernels/q5_0.hpp"
#include "glm4/kernels/q5_1.hpp"
#include "glm4/kernels/q5_k.hpp"
#include "glm4/kernels/q6_k.hpp"
#include "glm4/kernels/q8_0.hpp"
#include "glm4/kernels/reference.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

// f32 activations, used as they are.
template <quant::block_format F>
struct float_activation_dot {
  using activation = float;
  static constexpr std::size_t activation_block_elems = 1;
  static void prepare(const float* x, activation* a, std::size_t n) { std::memcpy(a, x, n * sizeof(float)); }
};

template <quant::block_format F>
struct dot_traits : float_activation_dot<F> {
  static float dot(const typename F::block* w, const float* a, std::size_t n) { return reference::dot<F>(w, a, n); }
};

template <>
struct dot_traits<quant::f32> : float_activation_dot<quant::f32> {
  static float dot(const float* w, const float* a, std::size_t n) { return dot_f32(w, a, n); }
};

template <>
struct dot_traits<quant::bf16> : float_activation_dot<quant::bf16> {
  static float dot(const quant::bf16::block* w, const float* a, std::size_t n) { return dot_bf16(w, a, n); }
};

template <>
struct dot_traits<quant::f16> : float_activation_dot<quant::f16> {
  static float dot(const quant::f16::block* w, const float* a, std::size_t n) { return dot_f16(w, a, n); }
};

// One row against raw f32 activations (tests, one-off uses).
template <quant::block_format F>
inline float dot(const typename F::block* w, const float* x, std::size_t n) {
  using T = dot_traits<F>;
  if constexpr (std::is_same_v<typename T::activation, float>) {
    return T::dot(w, x, n);
  } else {
    std::vector<typename T::activation> a(n / T::activation_block_elems);
    T::prepare(x, a.data(), n);
    return T::dot(w, a.data(), n);
  }
}

}  // namespace glm4::inline GLM4_TARGET::kernels
