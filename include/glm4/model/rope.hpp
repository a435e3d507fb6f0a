// The frequencies of GLM's rotary position embedding and their cos and sin
// at a position; kernels/rope.hpp rotates the heads with them (interleaved
// pairs of the first rotary_dim channels in GLM-4, NeoX halves of whole heads
// in GLM-130B):
//   θ_i = base^(-2i/rotary_dim)
//
// YaRN (transformers `_compute_yarn_parameters`) blends, per frequency, the
// original θ_i (high frequencies, extrapolated) with θ_i / factor (low
// frequencies, interpolated) along a linear ramp between the correction dims
// for beta_fast and beta_slow rotations, and scales cos and sin by the
// attention factor 0.1 ln(factor) + 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/kernels/rope.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/quant/bf16.hpp"

namespace glm4::inline GLM4_TARGET {

class rope_table {
 public:
  explicit rope_table(const model_shape& s)
      : rotary_dim_(static_cast<std::size_t>(s.rotary_dim())),
        pairs_(s.style == block_style::glm130b ? kernels::rotary_pairs::halves : kernels::rotary_pairs::interleaved) {
    const std::size_t half = rotary_dim_ / 2;
    inv_freq_.resize(half);
    // transformers computes the frequencies in float32; matching its rounding
    // keeps long-position angles identical.
    for (std::size_t i = 0; i < half; ++i) {
      const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim_);
      inv_freq_[i] = 1.0f / static_cast<float>(std::pow(s.rope_theta, static_cast<double>(exponent)));
    }
    if (s.rope_scaling.enabled()) apply_yarn(s);
    if (s.rope_precision == rope_frequency_precision::bf16)
      for (auto& f : inv_freq_) f = quant::bf16::to_float(quant::bf16::from_float(f));
  }

  std::size_t rotary_dim() const { return rotary_dim_; }

  // cos and sin of every frequency at `position` (rotary_dim/2 each).
  void angles(std::int64_t position, float* cos_out, float* sin_out) const {
    for (std::size_t i = 0; i < inv_freq_.size(); ++i) {
      const double a = static_cast<double>(position) * static_cast<double>(inv_freq_[i]);
      cos_out[i] = static_cast<float>(std::cos(a) * attention_factor_);
      sin_out[i] = static_cast<float>(std::sin(a) * attention_factor_);
    }
  }

  // Rotates the first rotary_dim channels of each of `heads` heads of
  // `head_dim` channels, in place.
  void apply(float* x, std::size_t heads, std::size_t head_dim, const float* cos, const float* sin) const {
    kernels::rotate_heads(x, heads, head_dim, rotary_dim_, pairs_, cos, sin);
  }

 private:
  void apply_yarn(const model_shape& s) {
    const auto& y = s.rope_scaling;
    const double dim = static_cast<double>(rotary_dim_);
    auto correction_dim = [&](double rotations) {
      return dim * std::log(static_cast<double>(y.original_max_positions) / (rotations * 2 * std::numbers::pi)) /
             (2 * std::log(s.rope_theta));
    };
    const double low = std::max(std::floor(correction_dim(y.beta_fast)), 0.0);
    double high = std::min(std::ceil(correction_dim(y.beta_slow)), dim - 1);
    if (low == high) high += 0.001;  // as transformers: avoid a zero-width ramp
    for (std::size_t i = 0; i < inv_freq_.size(); ++i) {
      const float ramp = static_cast<float>(std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0));
      const float extrapolation = 1.0f - ramp;
      const float interpolated = inv_freq_[i] / static_cast<float>(y.factor);
      inv_freq_[i] = interpolated * (1.0f - extrapolation) + inv_freq_[i] * extrapolation;
    }
    attention_factor_ = y.attention_factor > 0 ? y.attention_factor : 0.1 * std::log(y.factor) + 1.0;
  }

  std::size_t rotary_dim_;
  kernels::rotary_pairs pairs_;  // NeoX halves (GLM-130B), else interleaved pairs
  std::vector<float> inv_freq_;
  double attention_factor_ = 1.0;
};

}  // namespace glm4::inline GLM4_TARGET
