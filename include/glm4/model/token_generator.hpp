// Tokens one at a time from a session and a sampler, with or without
// speculative decoding: after a prefill, next() samples a token, and on the
// following call feeds it to the session before sampling the next.
//
// With drafts (draft_options::max_tokens > 0) a step feeds the last token
// together with up to k tokens guessed by prompt lookup, in one forward
// pass whose logits rows verify the guesses in order: each is kept as the
// sampler's accept/reject rule says (sampler::sample_with_draft), the first
// one refused is replaced by a token drawn at its position, and when all
// pass the last row gives one more. A step thus yields 1 to k + 1 tokens
// for about one pass while the weights stream once, and the session keeps
// only what was accepted. Greedy output is the same as without drafts,
// sampled output has the same distribution (tests/model/speculative_test).
//
//   glm4::token_generator gen(run, sampler, prompt, run.prefill(prompt), {.max_tokens = 8});
//   for (;;) { const auto id = gen.next(); ...; if (sampler.is_stop(id)) break; }
//   gen.settle();  // the session as plain decoding would leave it
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/generate.hpp"
#include "glm4/model/prompt_lookup.hpp"
#include "glm4/model/session.hpp"
#include "glm4/sampling/sampler.hpp"

namespace glm4::inline GLM4_TARGET {

// What speculative decoding needs of a session beyond generation: logits of
// every token of a pass, and forgetting refused drafts. glm4::session<...>
// and glm4::any_session.
template <class T>
concept rewindable_session =
    token_session<T> && requires(T& run, const T& c, std::span<const std::int32_t> ids, std::int64_t position) {
      { run.prefill(ids, logits_for::all) } -> std::convertible_to<std::span<const float>>;
      run.rewind(position);
      { c.position() } -> std::convertible_to<std::int64_t>;
      { c.context() } -> std::convertible_to<std::int64_t>;
    };

// Counts over a generation: forward passes run for it, tokens drafted, and
// drafts accepted.
struct draft_stats {
  std::size_t passes = 0, drafted = 0, accepted = 0;
};

template <rewindable_session Session>
class token_generator {
 public:
  // `history`: the tokens the session holds, prompt included; `logits`:
  // those of its last token, as prefill returned them (read by the first
  // next(), before any other pass).
  token_generator(Session& run, sampling::sampler& sampler, std::span<const std::int32_t> history,
                  std::span<const float> logits, draft_options drafts = {})
      : run_(run), sampler_(sampler), drafts_(drafts), history_(history.begin(), history.end()), first_(logits) {
    drafts_.validate();
  }

  // The next token. `budget`: how many tokens the caller may still take,
  // this one included; no more are drafted than it can use. Throws
  // context_overflow when the token before has no room in the session.
  std::int32_t next(std::size_t budget = std::numeric_limits<std::size_t>::max()) {
    if (ready_.empty()) step(budget);
    const std::int32_t id = ready_.front();
    ready_.pop_front();
    history_.push_back(id);
    ++returned_;
    return id;
  }

  // Tokens the session holds as plain decoding would have left them: the
  // history and every token returned but the last.
  std::int64_t position() const { return static_cast<std::int64_t>(history_.size()) - (returned_ > 0 ? 1 : 0); }
  // Whether next() can feed the last token: the session has room for it.
  bool has_room() const { return position() < run_.context(); }

  // Rewinds the session to position(), dropping drafts it accepted but
  // next() did not return (generation ended before them).
  void settle() {
    if (run_.position() > position()) run_.rewind(position());
  }

  // Every token so far, the constructor's history included.
  std::span<const std::int32_t> history() const { return history_; }
  const draft_stats& stats() const { return stats_; }

 private:
  void step(std::size_t budget) {
    if (returned_ == 0) {
      ready_.push_back(sampler_.sample(first_));
      return;
    }
    if (!has_room())
      throw context_overflow("no room left in the session context of " + std::to_string(run_.context()) +
                             " tokens for the next token");
    const std::size_t room = static_cast<std::size_t>(run_.context() - position() - 1);
    const std::size_t wanted = std::max<std::size_t>(budget, 1) - 1;  // the tokens after this one
    const auto draft = lookup_draft(history_, std::min({drafts_.max_tokens, room, wanted}), drafts_);
    fed_.assign(1, history_.back());
    fed_.insert(fed_.end(), draft.begin(), draft.end());
    const auto logits = run_.prefill(fed_, draft.empty() ? logits_for::last : logits_for::all);
    ++stats_.passes;
    stats_.drafted += draft.size();
    const std::size_t vocab = logits.size() / (draft.empty() ? 1 : fed_.size());
    for (std::size_t i = 0;; ++i) {
      const auto row = logits.subspan(i * vocab, vocab);
      if (i + 1 == fed_.size()) {  // every draft accepted, or none
        ready_.push_back(sampler_.sample(row));
        break;
      }
      const std::int32_t id = sampler_.sample_with_draft(row, fed_[i + 1]);
      ready_.push_back(id);
      if (id != fed_[i + 1]) break;
      ++stats_.accepted;
    }
    // The session keeps the fed token and the accepted drafts.
    run_.rewind(position() + static_cast<std::int64_t>(ready_.size()));
  }

  Session& run_;
  sampling::sampler& sampler_;
  draft_options drafts_;
  std::vector<std::int32_t> history_;
  std::span<const float> first_;
  std::deque<std::int32_t> ready_;  // tokens decided, not yet returned
  std::vector<std::int32_t> fed_;   // the last step's pass: the token before, then the drafts
  std::size_t returned_ = 0;
  draft_stats stats_;
};

}  // namespace glm4::inline GLM4_TARGET
