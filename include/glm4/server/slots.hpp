// A fixed number of session slots shared by the requests in flight, and a
// bounded queue of requests waiting for one.
//
// Each slot remembers the tokens its KV cache holds. A request takes the free
// slot whose cache shares the longest prefix with its prompt, rewinds the
// session to that prefix and prefills only the rest: the next turn of a
// conversation, which re-sends the whole history, pays only for its new
// tokens (llama-server's prompt cache). On a CPU, where prefill runs at tens
// of tokens a second, this decides whether a chat of a few turns is usable.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "glm4/kernels/targets.hpp"
#include "glm4/model/any_model.hpp"
#include "glm4/model/step_batcher.hpp"
#include "glm4/server/api_error.hpp"

namespace glm4::inline GLM4_TARGET::server {

inline std::size_t common_prefix(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<std::size_t>(ia - a.begin());
}

class slot {
 public:
  // `steps`: the batcher its passes go through, shared with the other slots.
  slot(std::size_t index, any_session session, step_batcher<any_session>& steps)
      : index_(index), session_(std::move(session)), batched_(session_, steps) {}

  // Brings the cache to hold exactly `prompt` and returns the logits of its
  // last token. Keeps the longest common prefix with what the cache held;
  // when the whole prompt is cached, its last token is run again, as its
  // logits are not kept.
  std::span<const float> load_prompt(std::span<const std::int32_t> prompt) {
    if (prompt.empty()) throw bad_request("the prompt is empty", "prompt");
    std::size_t keep = std::min(common_prefix(cached_, prompt), prompt.size() - 1);
    session_.rewind(static_cast<std::int64_t>(keep));
    cached_.resize(keep);
    last_reused_ = keep;
    last_prefilled_ = prompt.size() - keep;
    prefilled_total_ += last_prefilled_;
    const auto rest = prompt.subspan(keep);
    const auto logits = batched_.prefill(rest);
    cached_.insert(cached_.end(), rest.begin(), rest.end());
    return logits;
  }

  // The session, for the generation that follows load_prompt; then
  // holding() says what its cache holds.
  batched_session<any_session>& session() { return batched_; }
  void holding(std::span<const std::int32_t> tokens) { cached_.assign(tokens.begin(), tokens.end()); }

  std::size_t index() const { return index_; }
  std::int64_t context() const { return session_.context(); }
  std::size_t vocab_size() const { return session_.vocab_size(); }
  // The tokens whose keys and values the cache holds, in order.
  std::span<const std::int32_t> cached() const { return cached_; }
  // Of the last load_prompt: prompt tokens taken from the cache, and run.
  std::size_t last_reused() const { return last_reused_; }
  std::size_t last_prefilled() const { return last_prefilled_; }
  std::size_t prefilled_total() const { return prefilled_total_; }

 private:
  std::size_t index_;
  any_session session_;
  batched_session<any_session> batched_;
  std::vector<std::int32_t> cached_;
  std::size_t last_reused_ = 0, last_prefilled_ = 0, prefilled_total_ = 0;
};

class slot_pool {
 public:
  // `slots` sessions made by `make_session`; at most `queue` requests wait
  // for one, the next gets server_busy (503).
  slot_pool(const std::function<any_session()>& make_session, std::size_t slots, std::size_t queue)
      : queue_limit_(queue) {
    if (slots == 0) throw invalid_argument("glm4::server::slot_pool: at least one slot is needed");
    for (std::size_t i = 0; i < slots; ++i) {
      any_session made = make_session();
      if (!steps_) steps_ = std::make_unique<step_batcher<any_session>>(made.batch());
      slots_.push_back(std::make_unique<slot>(i, std::move(made), *steps_));
      free_.push_back(true);
      last_used_.push_back(0);
    }
  }

  // A slot held by one request; gives it back when destroyed.
  class lease {
   public:
    lease() = default;
    lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), slot_(std::exchange(o.slot_, nullptr)) {}
    lease& operator=(lease&& o) noexcept {
      if (this != &o) {
        release();
        pool_ = std::exchange(o.pool_, nullptr);
        slot_ = std::exchange(o.slot_, nullptr);
      }
      return *this;
    }
    ~lease() { release(); }
    slot& operator*() const { return *slot_; }
    slot* operator->() const { return slot_; }
    explicit operator bool() const { return slot_ != nullptr; }
    void release() {
      if (pool_) pool_->give_back(*slot_);
      pool_ = nullptr;
      slot_ = nullptr;
    }

   private:
    friend class slot_pool;
    lease(slot_pool* pool, slot* s) : pool_(pool), slot_(s) {}
    slot_pool* pool_ = nullptr;
    slot* slot_ = nullptr;
  };

  // The free slot that best fits `prompt`, waiting in line (first come, first
  // served) while none is free; server_busy when the line is full.
  lease acquire(std::span<const std::int32_t> prompt) {
    std::unique_lock lock(mutex_);
    if (free_count() == 0 || waiting_ > 0) {
      if (waiting_ >= queue_limit_)
        throw server_busy("all " + std::to_string(slots_.size()) + " slots are busy and " +
                          std::to_string(waiting_) + " requests are waiting (--parallel, --queue); retry later");
      const std::uint64_t ticket = next_ticket_++;
      ++waiting_;
      changed_.wait(lock, [&] { return ticket == serving_ && free_count() > 0; });
      --waiting_;
      ++serving_;
    } else {
      ++next_ticket_;
      ++serving_;
    }
    std::size_t best = slots_.size();
    std::size_t best_common = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!free_[i]) continue;
      const std::size_t common = common_prefix(slots_[i]->cached(), prompt);
      // Among equals, the least recently used, so that one conversation's
      // cache is not the first to be overwritten by another's.
      if (best == slots_.size() || common > best_common ||
          (common == best_common && last_used_[i] < last_used_[best])) {
        best = i;
        best_common = common;
      }
    }
    free_[best] = false;
    last_used_[best] = ++clock_;
    changed_.notify_all();  // the next in line may take another free slot
    return lease(this, slots_[best].get());
  }

  std::size_t size() const { return slots_.size(); }
  std::size_t busy() const {
    std::lock_guard lock(mutex_);
    return slots_.size() - free_count();
  }
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  // For tests and /health: slot i, not to be used while a request holds it.
  const slot& at(std::size_t i) const { return *slots_.at(i); }

 private:
  std::size_t free_count() const { return static_cast<std::size_t>(std::count(free_.begin(), free_.end(), true)); }

  void give_back(slot& s) {
    {
      std::lock_guard lock(mutex_);
      free_[s.index()] = true;
    }
    changed_.notify_all();
  }

  std::unique_ptr<step_batcher<any_session>> steps_;  // before the slots, which use it
  std::vector<std::unique_ptr<slot>> slots_;
  std::vector<bool> free_;
  std::vector<std::uint64_t> last_used_;
  std::size_t queue_limit_;
  std::size_t waiting_ = 0;
  std::uint64_t next_ticket_ = 0, serving_ = 0, clock_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace glm4::inline GLM4_TARGET::server
