// The passes over a whole logits row the sampler makes: its maximum, the next
// entry above a bar, the argmax, and the softmax denominator. They run four
// SIMD vectors at a time; on 151552 floats the scalar loops they replace were
// 10-40x slower (a branch per entry, a libm exp per entry).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"
#include <hwy/contrib/math/math-inl.h>

namespace glm4::inline GLM4_TARGET::sampling {

namespace hn = kernels::hn;

inline float row_max(std::span<const float> x) {
  const kernels::float_tag d;
  const std::size_t n = hn::Lanes(d);
  const float* p = x.data();
  auto m0 = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto m1 = m0, m2 = m0, m3 = m0;
  std::size_t i = 0;
  for (; i + 4 * n <= x.size(); i += 4 * n) {
    m0 = hn::Max(m0, hn::LoadU(d, p + i));
    m1 = hn::Max(m1, hn::LoadU(d, p + i + n));
    m2 = hn::Max(m2, hn::LoadU(d, p + i + 2 * n));
    m3 = hn::Max(m3, hn::LoadU(d, p + i + 3 * n));
  }
  float m = hn::GetLane(hn::MaxOfLanes(d, hn::Max(hn::Max(m0, m1), hn::Max(m2, m3))));
  for (; i < x.size(); ++i) m = std::max(m, p[i]);
  return m;
}

// The first index i >= from with x[i] > bar, or x.size().
inline std::size_t next_above(std::span<const float> x, std::size_t from, float bar) {
  const kernels::float_tag d;
  const std::size_t n = hn::Lanes(d);
  const float* p = x.data();
  const auto v_bar = hn::Set(d, bar);
  std::size_t i = from;
  for (; i + 4 * n <= x.size(); i += 4 * n) {
    const auto m = hn::Max(hn::Max(hn::LoadU(d, p + i), hn::LoadU(d, p + i + n)),
                           hn::Max(hn::LoadU(d, p + i + 2 * n), hn::LoadU(d, p + i + 3 * n)));
    if (!hn::AllFalse(d, hn::Gt(m, v_bar))) break;  // found within these 4n
  }
  for (; i < x.size(); ++i)
    if (p[i] > bar) return i;
  return x.size();
}

// The id of the largest logit, the lowest id among equals (next_above is
// strict): greedy decoding's pick.
inline std::int32_t argmax(std::span<const float> logits) {
  std::size_t best = 0;
  for (std::size_t i = next_above(logits, 1, logits[0]); i < logits.size(); i = next_above(logits, i + 1, logits[best]))
    best = i;
  return static_cast<std::int32_t>(best);
}

// w_i = exp((x_i - m) * inv_t) into w (as long as x), m >= every x_i, and
// their sum. The exps are SIMD; the sum is in double, because a flat tail of
// 10^5 tiny weights must still count next to a weight of 1 (float would drop
// them, and top-p would cut in the wrong place).
inline double exp_weights(std::span<const float> x, float m, float inv_t, std::span<float> w) {
  // Floats go half a vector at a time, so that each exp widens into a full
  // vector of doubles.
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const std::size_t n = hn::Lanes(dd);
  const float* p = x.data();
  float* out = w.data();
  const auto v_m = hn::Set(df, m);
  const auto v_inv_t = hn::Set(df, inv_t);
  const auto exp_at = [&](std::size_t i) {
    const auto e = hn::Exp(df, hn::Mul(hn::Sub(hn::LoadU(df, p + i), v_m), v_inv_t));
    hn::StoreU(e, df, out + i);
    return hn::PromoteTo(dd, e);
  };
  auto s0 = hn::Zero(dd), s1 = s0, s2 = s0, s3 = s0;
  std::size_t i = 0;
  for (; i + 4 * n <= x.size(); i += 4 * n) {
    s0 = hn::Add(s0, exp_at(i));
    s1 = hn::Add(s1, exp_at(i + n));
    s2 = hn::Add(s2, exp_at(i + 2 * n));
    s3 = hn::Add(s3, exp_at(i + 3 * n));
  }
  double total = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < x.size(); ++i) {
    out[i] = std::exp((p[i] - m) * inv_t);
    total += out[i];
  }
  return total;
}

}  // namespace glm4::inline GLM4_TARGET::sampling
