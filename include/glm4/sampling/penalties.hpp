// Repetition, frequency and presence penalties over the tokens seen so far.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::sampling {

// How often each token has been seen. Penalties touch only these tokens, so
// the distinct ones are kept in a list: applying them costs O(distinct), not a
// pass over the 151552-wide row.
class token_counts {
 public:
  void add(std::int32_t id) {
    if (id < 0) throw invalid_argument("glm4::sampling: token id " + std::to_string(id) + " is negative");
    const auto i = static_cast<std::size_t>(id);
    if (i >= count_.size()) count_.resize(i + 1, 0);
    if (count_[i]++ == 0) distinct_.push_back(id);
  }

  void add(std::span<const std::int32_t> ids) {
    for (const std::int32_t id : ids) add(id);
  }

  // Forgets every token but keeps the memory for the next sequence.
  void clear() {
    for (const std::int32_t id : distinct_) count_[static_cast<std::size_t>(id)] = 0;
    distinct_.clear();
  }

  std::span<const std::int32_t> distinct() const { return distinct_; }

  std::uint32_t count(std::int32_t id) const {
    const auto i = static_cast<std::size_t>(id);
    return id >= 0 && i < count_.size() ? count_[i] : 0;
  }

 private:
  std::vector<std::uint32_t> count_;
  std::vector<std::int32_t> distinct_;
};

// Applies, in place, to every seen token, in llama.cpp's order: HF's
// repetition penalty (logit / r when positive, logit * r otherwise: both make
// the token less likely for r > 1), then OpenAI's frequency and presence
// penalties (logit -= count * frequency + presence).
inline void apply_penalties(std::span<float> logits, const token_counts& seen,
                            float repetition, float frequency, float presence) {
  if (repetition == 1.0f && frequency == 0.0f && presence == 0.0f) return;
  for (const std::int32_t id : seen.distinct()) {
    if (static_cast<std::size_t>(id) >= logits.size())
      throw invalid_argument("glm4::sampling: seen token id " + std::to_string(id) +
                             " is outside the logits row of " + std::to_string(logits.size()));
    float& l = logits[static_cast<std::size_t>(id)];
    l = l > 0.0f ? l / repetition : l * repetition;
    l -= static_cast<float>(seen.count(id)) * frequency + presence;
  }
}

}  // namespace glm4::inline GLM4_TARGET::sampling
