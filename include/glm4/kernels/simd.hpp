// Highway with static dispatch: only the target the user's -march selects is
// compiled (HWY_COMPILE_ONLY_STATIC, set by the glm4 CMake target), so every
// kernel is an ordinary inline function with no dispatch table in the hot
// path. Kernels say `hn::` for Highway ops.
#pragma once

#include "glm4/kernels/targets.hpp"  // Highway, static target only

namespace glm4::inline GLM4_TARGET::kernels {
namespace hn = hwy::HWY_NAMESPACE;
using float_tag = hn::ScalableTag<float>;

// Sum of all lanes (Highway 1.0 has no ReduceSum).
template <class D, class V>
inline hn::TFromD<D> sum_lanes(D d, V v) {
  return hn::GetLane(hn::SumOfLanes(d, v));
}
}  // namespace glm4::inline GLM4_TARGET::kernels
