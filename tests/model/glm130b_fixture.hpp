// What the GLM-130B tests share: the tiny fixture's command ids and the
// greedy answer of a blank-filling prompt through the KV cache.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"

namespace glm4::testing {

using glm130b_tiny = shipped_models::glm130b_tiny;

// The fixture's ids: [MASK] 1000, [gMASK] 1001, <sop> 1002, eos 1003 (no
// [sMASK] or <eop> in its 1024-token vocabulary: ids outside it).
inline constexpr blank_ids glm130b_tiny_ids{.mask = 1000, .smask = -2, .gmask = 1001, .eos = 1003, .sop = 1002, .eop = -3};

// `count` greedy tokens after `prompt` (which ends with <sop>), decoding
// one at a time under the prompt's blank-filling layout.
template <class Model>
std::vector<std::int32_t> greedy_answer(const Model& model, std::span<const std::int32_t> prompt, std::size_t count) {
  session run(model, {.context = 64, .threads = 2});
  auto logits = run.prefill(prompt, logits_for::last, blank_layout(prompt, glm130b_tiny_ids));
  std::vector<std::int32_t> answer;
  while (answer.size() < count) {
    answer.push_back(sampling::argmax(logits));
    logits = run.decode(answer.back());
  }
  return answer;
}

inline float largest_magnitude(std::span<const float> v) {
  float m = 0.0f;
  for (const float x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace glm4::testing
