// A session is one conversation's state on a model: the KV cache, the
// activation buffers, the thread pool and the position. Prefill a prompt (in
// batches, matrix-matrix), then decode one token at a time.
//
//   glm4::session run(model, {.context = 8192, .threads = 4});
//   auto logits = run.prefill(prompt_ids);   // logits of the last position
//   logits = run.decode(next_id);
//
// Sessions on one model can also advance together, in one forward pass
// that streams the weights once for all of them (forward_together: batched
// decode of several conversations, a server's requests in flight).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/activation_precision.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/model.hpp"
#include "glm4/model/transformer.hpp"
#include "glm4/runtime/memory.hpp"
#include "glm4/runtime/thread_pool.hpp"

namespace glm4::inline GLM4_TARGET {

struct session_options {
  std::int64_t context = 4096;                              // tokens the KV cache holds
  std::size_t threads = thread_pool::default_threads();     // compute threads, caller included
  std::size_t batch = 128;                                  // prompt tokens per forward pass
};

// Which prompt positions prefill returns logits for.
enum class logits_for { last, all };

// S: the model's weight scheme; KV: how the cache stores keys and values
// (quant::f32; quant::f16 or quant::bf16: half the memory, ~1e-3 logit change;
// quant::q8_0: 0.27 of it, llama.cpp's q8_0 cache);
// P: how the integer formats quantize activations, prompt and decode alike
// (kernels::int8_activations, llama.cpp's precision and 2x the speed, or
// kernels::int16_activations, ~1/258 of the rounding).
template <weights::weight_scheme S, kv_format KV = quant::f32,
          kernels::activation_precision P = kernels::int8_activations>
class session {
 public:
  template <model_config C>
  session(const model<C, S>& m, session_options opt = {}) : session(m.share(), opt) {}

  // A network whose shape is runtime data (tests of random shapes, tools that
  // inspect a file before choosing a type).
  explicit session(std::shared_ptr<const transformer<S>> net, session_options opt = {})
      : net_(std::move(net)),
        opt_(validated(opt, net_->shape())),
        pool_(opt_.threads),
        cache_(net_->shape(), opt_.context),
        ws_(net_->shape(), opt_.batch, opt_.threads) {}

  std::int64_t position() const { return static_cast<std::int64_t>(pos_); }
  std::int64_t context() const { return opt_.context; }
  // Tokens per forward pass: prompt batches, and what forward_together takes.
  std::size_t batch() const { return opt_.batch; }
  std::size_t kv_cache_bytes() const { return cache_.bytes(); }
  std::size_t vocab_size() const { return static_cast<std::size_t>(net_->shape().vocab_size); }
  void reset() {
    pos_ = 0;
    layout_ = {};
  }
  // Keeps the first `position` tokens and forgets the rest, so that a
  // prompt sharing that prefix with what the session holds prefills only
  // what follows it (the cache beyond is overwritten as it refills).
  void rewind(std::int64_t position) {
    if (position < 0 || position > this->position())
      throw invalid_argument("cannot rewind a session at position " + std::to_string(pos_) + " to " +
                             std::to_string(position));
    pos_ = static_cast<std::size_t>(position);
    if (pos_ < layout_.shared) layout_ = {};  // back inside a blank-filling context: plain causal again
  }

  // Feeds `ids` after what the session has seen; returns the logits of the
  // last token (vocab floats) or of every token (ids.size() x vocab).
  std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which = logits_for::last) {
    return run(ids, which, opt_.batch);
  }

  // The same under an attention layout other than plainly causal, kept for
  // every token after (GLM-130B blank filling: model/blank_filling.hpp makes
  // the layout). The layout's shared context must end within `ids`, which
  // then go through in one forward pass (each token of the context sees all
  // of it); the activation buffers grow to that once if the batch is smaller.
  std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which, const attention_layout& layout) {
    if (layout.shared > pos_ + ids.size())
      throw invalid_argument("the shared context ends at position " + std::to_string(layout.shared) +
                             ", past the " + std::to_string(ids.size()) + " tokens given at position " +
                             std::to_string(pos_));
    const std::size_t together = layout.shared > pos_ ? ids.size() : 0;
    check_room(ids);
    if (together > ws_.max_tokens) ws_ = workspace(net_->shape(), together, opt_.threads);
    layout_ = layout;
    return run(ids, which, std::max(opt_.batch, together));
  }
  const attention_layout& layout() const { return layout_; }

  // One more token; returns its logits.
  std::span<const float> decode(std::int32_t id) { return prefill(std::span(&id, 1)); }

  // What the last prefill, decode or forward_together returned.
  std::span<const float> logits() const { return logits_; }

  // One session's tokens in a forward pass shared with other sessions.
  struct batch_item {
    session& run;
    std::span<const std::int32_t> ids;
    logits_for which = logits_for::last;
  };

  // Feeds each item's ids to its session in one forward pass, where the
  // weights stream once for all of them; each session's logits() then hold
  // what its own prefill(ids, which) would return. The sessions must be
  // distinct and share one network; their tokens together must fit the
  // first one's batch, whose thread pool and buffers run the pass. The
  // matmuls compute every token as a pass of that many tokens of one
  // session does: bit for bit as decode while fewer than
  // kernels::int8_panel_min_tokens tokens go (kernels/activation_precision.hpp).
  // Nothing changes when an item is refused (context_overflow, a token
  // outside the vocabulary, invalid_argument).
  static void forward_together(std::span<const batch_item> items) {
    if (items.empty()) return;
    session& lender = items.front().run;
    std::size_t tokens = 0, rows = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const batch_item& it = items[i];
      if (it.run.net_ != lender.net_) throw invalid_argument("sessions on different models cannot run together");
      for (std::size_t j = 0; j < i; ++j)
        if (&items[j].run == &it.run) throw invalid_argument("a session appears twice in one forward pass");
      it.run.check_room(it.ids);
      tokens += it.ids.size();
      rows += logit_rows(it.ids, it.which);
    }
    if (tokens > lender.ws_.max_tokens)
      throw invalid_argument(std::to_string(tokens) + " tokens together exceed the batch of " +
                             std::to_string(lender.ws_.max_tokens) + " the first session runs");
    std::vector<sequence_run<KV>> runs;
    runs.reserve(items.size());
    for (const batch_item& it : items)
      runs.push_back({it.ids, it.run.pos_, it.run.cache_, it.run.layout_, logit_rows(it.ids, it.which)});
    const std::size_t V = lender.vocab_size();
    lender.together_logits_.resize(rows * V);
    lender.net_->template forward<P>(std::span<const sequence_run<KV>>(runs), lender.ws_, lender.pool_,
                                     lender.together_logits_.data());
    const float* row = lender.together_logits_.data();
    for (const batch_item& it : items) {
      const std::size_t count = logit_rows(it.ids, it.which) * V;
      it.run.logits_.assign(row, row + count);
      it.run.pos_ += it.ids.size();
      row += count;
    }
  }

 private:
  void check_room(std::span<const std::int32_t> ids) const {
    if (ids.empty()) throw invalid_argument("prefill needs at least one token");
    if (pos_ + ids.size() > static_cast<std::size_t>(opt_.context))
      throw context_overflow(std::to_string(ids.size()) + " tokens at position " + std::to_string(pos_) +
                             " exceed the session context of " + std::to_string(opt_.context) + " tokens");
  }

  static std::size_t logit_rows(std::span<const std::int32_t> ids, logits_for which) {
    return which == logits_for::all ? ids.size() : 1;
  }

  std::span<const float> run(std::span<const std::int32_t> ids, logits_for which, std::size_t batch) {
    check_room(ids);
    const std::size_t V = vocab_size();
    logits_.resize(logit_rows(ids, which) * V);
    for (std::size_t done = 0; done < ids.size();) {
      const std::size_t n = std::min(batch, ids.size() - done);
      const bool last_batch = done + n == ids.size();
      const std::size_t rows = which == logits_for::all ? n : (last_batch ? 1 : 0);
      float* out = which == logits_for::all ? logits_.data() + done * V : logits_.data();
      const sequence_run<KV> part{ids.subspan(done, n), pos_, cache_, layout_, rows};
      net_->template forward<P>(std::span(&part, 1), ws_, pool_, out);
      pos_ += n;
      done += n;
    }
    return logits_;
  }

  // Checks the options, and that the KV cache and activation buffers they
  // ask for fit the memory this process can have, before allocating them:
  // a context too large is then an error naming both numbers, not a
  // std::bad_alloc or an out-of-memory kill mid-prompt. A batch beyond the
  // context could never fill, so it is cut to the context.
  static session_options validated(session_options o, const model_shape& s) {
    if (o.context <= 0 || o.context > s.max_context)
      throw invalid_argument("session context " + std::to_string(o.context) + " must be in 1.." +
                             std::to_string(s.max_context) + " (the model's max_position_embeddings)");
    if (o.batch == 0) throw invalid_argument("session batch must be at least 1");
    o.batch = std::min(o.batch, static_cast<std::size_t>(o.context));
    const auto what = [&] {
      return "a session of context " + std::to_string(o.context) + " and batch " + std::to_string(o.batch) +
             " (KV cache in " + std::string(KV::name) + ")";
    };
    const auto cache = kv_cache<KV>::bytes_for(s, o.context);
    const auto buffers = workspace::bytes_for(s, o.batch, o.threads);
    const auto total = cache && buffers ? checked_add(*cache, *buffers) : std::nullopt;
    if (!total) throw invalid_argument(what() + " needs more bytes than a size_t counts");
    if (const memory_limit limit = available_memory(); *total > limit.bytes)
      throw invalid_argument(what() + " needs " + std::to_string(*total) + " bytes (KV cache " +
                             std::to_string(*cache) + ", activations " + std::to_string(*buffers) +
                             "), more than the " + std::to_string(limit.bytes) + " bytes this process can have (" +
                             limit.source + ")");
    return o;
  }

  std::shared_ptr<const transformer<S>> net_;
  session_options opt_;
  thread_pool pool_;
  kv_cache<KV> cache_;
  workspace ws_;
  std::vector<float> logits_;
  std::vector<float> together_logits_;  // a forward_together's rows, when this session runs it
  std::size_t pos_ = 0;
  attention_layout layout_;
};

template <model_config C, weights::weight_scheme S>
session(const model<C, S>&, session_options) -> session<S>;
template <model_config C, weights::weight_scheme S>
session(const model<C, S>&) -> session<S>;

}  // namespace glm4::inline GLM4_TARGET
