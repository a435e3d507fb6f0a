// Prompt-lookup drafts for speculative decoding: when the last few tokens
// occurred before (in the prompt or in what was generated), guess that what
// followed them then follows again. No draft model; it pays off where the
// output copies its input (summaries, code edits, answers quoting a source).
// llama.cpp's lookup decoding and Saxena's prompt lookup decoding draft the
// same way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "glm4/core/error.hpp"
#include "glm4/kernels/int8_panel.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET {

// Verifying k drafts runs k + 1 tokens in one forward pass. Up to this many
// drafts the batch stays on the decode kernels (runtime/matmul.hpp), which
// compute every token bit for bit as decode does: greedy output is then the
// same with drafts as without.
inline constexpr std::size_t max_draft_tokens = kernels::int8_panel_min_tokens - 2;

struct draft_options {
  std::size_t max_tokens = 0;  // drafted per step, at most max_draft_tokens; 0: plain decoding
  std::size_t ngram_min = 2;   // the shortest suffix looked up; one token matches too often to pay
  std::size_t ngram_max = 4;   // the longest, tried first

  void validate() const {
    if (max_tokens > max_draft_tokens)
      throw invalid_argument("at most " + std::to_string(max_draft_tokens) + " draft tokens per step, not " +
                             std::to_string(max_tokens));
    if (ngram_min == 0 || ngram_min > ngram_max)
      throw invalid_argument("draft n-gram sizes must satisfy 1 <= min <= max, not " + std::to_string(ngram_min) +
                             " and " + std::to_string(ngram_max));
  }
};

// The draft after `history`: for n from ngram_max down to ngram_min, the
// latest earlier occurrence of history's last n tokens followed by
// `max_tokens` tokens, and those tokens (else the occurrence followed by
// most: in a run of one repeated token the latest occurrences are followed
// by only one or two). Empty when nothing matches. Linear in the history
// per n: next to a forward pass over the same context, nothing.
inline std::span<const std::int32_t> lookup_draft(std::span<const std::int32_t> history, std::size_t max_tokens,
                                                  const draft_options& o) {
  if (max_tokens == 0) return {};
  // n stops short of the whole history: an occurrence must end before its last token.
  const std::size_t longest = std::min(o.ngram_max, history.empty() ? 0 : history.size() - 1);
  for (std::size_t n = longest; n >= o.ngram_min && n > 0; --n) {
    const auto suffix = history.last(n);
    std::span<const std::int32_t> best;
    // Occurrences ending before the last token, latest first.
    for (std::size_t start = history.size() - n; start-- > 0 && best.size() < max_tokens;) {
      if (!std::equal(suffix.begin(), suffix.end(), history.begin() + static_cast<std::ptrdiff_t>(start))) continue;
      const std::size_t from = start + n;
      if (history.size() - from > best.size())
        best = history.subspan(from, std::min(max_tokens, history.size() - from));
    }
    if (!best.empty()) return best;
  }
  return {};
}

}  // namespace glm4::inline GLM4_TARGET
