// The speculative-decoding flags `glm4 run`, `glm4 chat` and `glm4 serve`
// share: prompt-lookup drafts (model/prompt_lookup.hpp), off by default.
// llama.cpp names the draft length --draft-max (alias --draft).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <ostream>

#include <CLI/CLI.hpp>

#include <glm4/glm4.hpp>

namespace glm4::app {

inline void add_draft_options(CLI::App& command, draft_options& o) {
  command.add_option("--draft,--draft-max", o.max_tokens,
                     "speculative decoding: tokens drafted per step by prompt lookup (the continuation of an "
                     "earlier occurrence of the last tokens), verified in one pass; 0: off")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, max_draft_tokens));
  command.add_option("--draft-ngram-min", o.ngram_min, "shortest run of last tokens looked up for a draft")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  command.add_option("--draft-ngram-max", o.ngram_max, "longest run of last tokens looked up, tried first")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
}

// Flags that contradict each other (--draft-ngram-min above max) are a
// usage error, before the model loads.
inline void check_draft_options(const draft_options& o) {
  try {
    o.validate();
  } catch (const invalid_argument& e) {
    throw CLI::ValidationError("--draft", e.what());
  }
}

// The tokens a generation of `n_predict` (-1: unlimited) may still take
// after `generated`: token_generator::next's budget.
inline std::size_t remaining(std::int64_t n_predict, std::int64_t generated) {
  return n_predict < 0 ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(n_predict - generated);
}

// " | drafts: A of D accepted (R %) in P passes", when any were drafted.
inline void print_draft_stats(std::ostream& out, const draft_stats& s) {
  if (s.drafted == 0) return;
  out << " | drafts: " << s.accepted << " of " << s.drafted << " accepted (" << std::fixed << std::setprecision(1)
      << 100.0 * static_cast<double>(s.accepted) / static_cast<double>(s.drafted) << " %) in " << s.passes
      << " passes";
}

}  // namespace glm4::app
