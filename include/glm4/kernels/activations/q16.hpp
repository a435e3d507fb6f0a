// q16_act: 32 activations as int16, the int16 dot of the 32-value formats
// (q8_0, q4_0, q5_0) and their AVX-512 VNNI tiles. The activation row is
// quantized once per matmul, then every weight row is an exact int16 x int16
// -> int32 dot product per block, scaled in float (ggml's scheme, with int16
// in place of ggml's int8 activations):
//
//   x[j] ~= d * qs[j],  d = max_j |x[j]| / 32767,  qs[j] = round(x[j] * 32767 / amax)
//
// Why 16 bits: the rounding error of an activation is at most d / 2 =
// amax / 65534, 258 times below int8's amax / 254. With int8 activations the
// logits of the GGUF fixtures drift past llama.cpp's own error; with int16
// the weights' quantization error is the only one that shows. The integer
// products stay exact (pmaddwd / vpdpwssd / vmlal_s16), so the cost over
// float activations is only the activation bytes, which stay in L1.
//
// Rounding is to nearest, ties to even (the SIMD convert's mode), and the
// range is the symmetric [-32767, 32767]: |x * 32767 / amax| <= 32767 for
// every x of the block, so -32768 never occurs and every overflow bound in
// the kernels can use |qs| <= 32767. d stays f32, so the activation error is
// only the int16 rounding. All the layouts: docs/kernels.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels {

struct q16_act {
  float d;
  std::int16_t qs[32];
};
static_assert(sizeof(q16_act) == 68);

namespace qdetail {

// Scalar quantization of one block of `len` values (the reference).
inline float quantize_block_reference(const float* x, std::int16_t* q, std::size_t len) {
  float amax = 0.0f;
  for (std::size_t j = 0; j < len; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 32767.0f / amax : 0.0f;
  for (std::size_t j = 0; j < len; ++j) q[j] = static_cast<std::int16_t>(std::nearbyint(x[j] * id));
  return amax / 32767.0f;
}

// The same with Highway: max |x| over the block, then NearestInt(x * id)
// (ties to even, like nearbyint) narrowed to int16. `len` is 32 or 256.
inline float quantize_block(const float* x, std::int16_t* q, std::size_t len) {
#if HWY_TARGET == HWY_SCALAR
  return quantize_block_reference(x, q, len);
#else
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<std::int16_t, decltype(df)> d16;
  const std::size_t N = hn::Lanes(df);
  auto vmax = hn::Zero(df);
  for (std::size_t j = 0; j < len; j += N) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  const float id = amax != 0.0f ? 32767.0f / amax : 0.0f;
  const auto vid = hn::Set(df, id);
  for (std::size_t j = 0; j < len; j += N)
    hn::StoreU(hn::DemoteTo(d16, hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vid))), d16, q + j);
  return amax / 32767.0f;
#endif
}

}  // namespace qdetail

// activation / prepare for formats with 32-value blocks.
struct q16_activation {
  using activation = q16_act;
  static constexpr std::size_t activation_block_elems = 32;
  static void prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 32; ++b) a[b].d = qdetail::quantize_block(x + 32 * b, a[b].qs, 32);
  }
  static void reference_prepare(const float* x, activation* a, std::size_t n) {
    for (std::size_t b = 0; b < n / 32; ++b) a[b].d = qdetail::quantize_block_reference(x + 32 * b, a[b].qs, 32);
  }
};

}  // namespace glm4::inline GLM4_TARGET::kernels
