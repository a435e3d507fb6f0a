// Continuous batching for sessions driven from several threads (a server's
// requests): each thread calls prefill or decode on its own session as
// usual, through a step_batcher, and the calls that wait at the same time go
// through one forward pass together (session::forward_together), so the
// weights stream once per step for all of them. A new request's prompt
// joins at the next step boundary, in chunks that fill what the decode
// steps leave of the pass.
//
// No thread of its own: the first caller to find no pass running runs one
// for everyone waiting (the others sleep until theirs is done), then hands
// over. A lone caller thus runs at once, as it would without the batcher.
//
//   glm4::step_batcher<glm4::any_session> steps(128);
//   glm4::batched_session a(run_a, steps), b(run_b, steps);  // one per thread
//   auto logits = a.decode(id);  // meets b's call if it waits meanwhile
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/session.hpp"

namespace glm4::inline GLM4_TARGET {

// Sessions that can run a pass together: glm4::session<...>, any_session.
template <class T>
concept batchable_session = requires(T& run, std::span<const typename T::batch_item> items) {
  T::forward_together(items);
  { run.logits() } -> std::convertible_to<std::span<const float>>;
};

template <batchable_session Session>
class step_batcher {
 public:
  // `max_tokens`: tokens per pass, at most the batch of the sessions that
  // will run them (each pass runs on its first session's buffers).
  explicit step_batcher(std::size_t max_tokens) : max_tokens_(max_tokens) {
    if (max_tokens == 0) throw invalid_argument("a step_batcher needs room for at least one token per pass");
  }
  step_batcher(const step_batcher&) = delete;
  step_batcher& operator=(const step_batcher&) = delete;

  std::size_t max_tokens() const { return max_tokens_; }
  // Forward passes run so far.
  std::size_t passes() const {
    std::lock_guard lock(mutex_);
    return passes_;
  }
  // Calls not finished: in the running pass or waiting for one.
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

  // run.prefill(ids, which), in passes shared with the other callers; a
  // prompt longer than what a pass leaves goes in chunks (logits_for::all
  // must fit one pass: a drafts check does). Returns run.logits().
  std::span<const float> prefill(Session& run, std::span<const std::int32_t> ids,
                                 logits_for which = logits_for::last) {
    if (ids.empty()) throw invalid_argument("prefill needs at least one token");
    if (which == logits_for::all && ids.size() > max_tokens_)
      throw invalid_argument(std::to_string(ids.size()) + " tokens with every row's logits exceed the " +
                             std::to_string(max_tokens_) + " tokens of a shared pass");
    request r{run, ids, which};
    std::unique_lock lock(mutex_);
    waiting_.push_back(&r);
    while (!r.done) {
      if (running_) {
        finished_.wait(lock);
        continue;
      }
      running_ = true;
      ++passes_;
      const std::vector<part> pass = take_pass();
      lock.unlock();
      run_pass(pass);
      lock.lock();
      for (const part& p : pass) {
        p.r->rest = p.r->rest.subspan(p.ids.size());
        if (p.r->rest.empty() || p.r->error) p.r->done = true;
      }
      std::erase_if(waiting_, [](const request* q) { return q->done; });
      running_ = false;
      finished_.notify_all();
    }
    if (r.error) std::rethrow_exception(r.error);
    return run.logits();
  }

  std::span<const float> decode(Session& run, std::int32_t id) { return prefill(run, std::span(&id, 1)); }

 private:
  struct request {
    Session& run;
    std::span<const std::int32_t> rest;  // not run yet
    logits_for which;
    bool done = false;
    std::exception_ptr error;
  };
  struct part {
    request* r;
    std::span<const std::int32_t> ids;
  };

  // What the next pass runs: first the requests that must go whole (decode
  // steps, drafts' checks) in arrival order, then prompt chunks in the room
  // left. Called with the lock held.
  std::vector<part> take_pass() const {
    std::vector<part> pass;
    std::size_t room = max_tokens_;
    for (request* r : waiting_)
      if ((r->rest.size() == 1 || r->which == logits_for::all) && r->rest.size() <= room) {
        pass.push_back({r, r->rest});
        room -= r->rest.size();
      }
    for (request* r : waiting_)
      if (r->rest.size() > 1 && r->which == logits_for::last && room > 0) {
        const std::size_t n = std::min(room, r->rest.size());
        pass.push_back({r, r->rest.first(n)});
        room -= n;
      }
    return pass;
  }

  // One forward pass over `pass`; when it is refused (one session out of
  // context, ...) nothing has changed, and each part runs alone to find
  // whose it is. A chunk short of a prompt's end also gets its last row's
  // logits, which the next chunk's replace.
  static void run_pass(const std::vector<part>& pass) {
    std::vector<typename Session::batch_item> items;
    for (const part& p : pass) items.push_back({p.r->run, p.ids, p.r->which});
    try {
      Session::forward_together(items);
      return;
    } catch (...) {
      if (items.size() == 1) {
        pass.front().r->error = std::current_exception();
        return;
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      try {
        Session::forward_together(std::span(&items[i], 1));
      } catch (...) {
        pass[i].r->error = std::current_exception();
      }
    }
  }

  std::size_t max_tokens_;
  std::vector<request*> waiting_;  // in arrival order
  bool running_ = false;
  std::size_t passes_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
};

// A session whose passes go through a step_batcher, for the generation
// loops (generate.hpp, token_generator) on one thread among several.
template <batchable_session Session>
class batched_session {
 public:
  batched_session(Session& run, step_batcher<Session>& steps) : run_(&run), steps_(&steps) {}

  std::span<const float> prefill(std::span<const std::int32_t> ids, logits_for which = logits_for::last) {
    return steps_->prefill(*run_, ids, which);
  }
  std::span<const float> decode(std::int32_t id) { return steps_->decode(*run_, id); }
  void rewind(std::int64_t position) { run_->rewind(position); }
  std::int64_t position() const { return run_->position(); }
  std::int64_t context() const { return run_->context(); }
  std::size_t vocab_size() const { return run_->vocab_size(); }
  Session& session() const { return *run_; }

 private:
  Session* run_;
  step_batcher<Session>* steps_;
};

}  // namespace glm4::inline GLM4_TARGET
