// What the sampler does to each row of logits, with the presets the GLM
// models ship with.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "glm4/config/stop_ids.hpp"
#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::sampling {

// Each field's neutral value switches its step off. The steps run in the
// order HF transformers' generate and llama.cpp both use:
//   penalties → temperature → top-k → top-p → min-p → draw.
struct params {
  // 0 picks the most likely token (greedy); otherwise logits are divided by it.
  float temperature = 1.0f;
  // Keep the k most likely tokens (ties go to the lower id, so exactly k); 0: off.
  std::int32_t top_k = 0;
  // Keep the most likely tokens until their probability, renormalised after
  // top-k, reaches top_p (the token that crosses it is kept); 1: off.
  float top_p = 1.0f;
  // Keep tokens at least min_p times as likely as the most likely one; 0: off.
  float min_p = 0.0f;
  // HF's repetition penalty: a seen token's logit is divided by it when
  // positive and multiplied by it otherwise; 1: off.
  float repetition_penalty = 1.0f;
  // OpenAI's: logit -= count * frequency_penalty + (count > 0) * presence_penalty.
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  std::uint64_t seed = 0;
  // Tokens that end generation; every GLM-4 model's by default.
  std::vector<std::int32_t> stop_ids{presets::stop_ids.begin(), presets::stop_ids.end()};

  static params greedy() {
    params p;
    p.temperature = 0.0f;
    return p;
  }

  // GLM-Z1-0414's recommended settings (its model card and generation_config).
  static params glm_z1() {
    params p;
    p.temperature = 0.6f;
    p.top_p = 0.95f;
    p.top_k = 40;
    return p;
  }
};

inline void validate(const params& p) {
  const auto fail = [](const std::string& field, float value, const char* allowed) {
    throw invalid_argument("glm4::sampling::params: " + field + " = " + std::to_string(value) +
                           ", expected " + allowed);
  };
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
    fail("temperature", p.temperature, "a finite value >= 0");
  if (p.top_k < 0) fail("top_k", static_cast<float>(p.top_k), ">= 0");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) fail("top_p", p.top_p, "in (0, 1]");
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) fail("min_p", p.min_p, "in [0, 1]");
  if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty))
    fail("repetition_penalty", p.repetition_penalty, "a finite value > 0");
  if (!std::isfinite(p.frequency_penalty)) fail("frequency_penalty", p.frequency_penalty, "finite");
  if (!std::isfinite(p.presence_penalty)) fail("presence_penalty", p.presence_penalty, "finite");
}

}  // namespace glm4::inline GLM4_TARGET::sampling
