// A fork-join pool for the forward pass. `parallel_for(n, grain, f)` splits
// [0, n) into chunks that threads claim from an atomic counter, so the work
// goes to whichever threads are running: on a busy machine the caller may
// finish a job alone rather than wait for a descheduled worker. A worker
// that wakes after the caller has closed the job skips it (the gate below),
// so no job ever waits on a thread that never started.
//
// Workers spin briefly on a generation counter before sleeping, because a
// decode step issues a few hundred short jobs back to back and a futex wake
// per job would cost more than the smaller jobs themselves.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "glm4/core/error.hpp"

namespace glm4 {

class thread_pool {
 public:
  static std::size_t default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

  explicit thread_pool(std::size_t threads = default_threads()) : size_(threads) {
    if (threads == 0 || threads > 1024)
      throw invalid_argument("thread count must be in 1..1024, got " + std::to_string(threads));
    for (std::size_t i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker(i); });
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool() {
    {
      std::lock_guard lock(mutex_);
      stop_.store(true, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  std::size_t size() const { return size_; }

  // f(begin, end, slot) over chunks of `grain` indices of [0, n); `slot` is
  // the executing thread's index in [0, size()), for per-thread scratch.
  template <class F>
  void parallel_for(std::size_t n, std::size_t grain, F&& f) {
    grain = std::max<std::size_t>(grain, 1);
    const std::size_t chunks = (n + grain - 1) / grain;
    if (chunks == 0) return;
    if (size_ == 1 || chunks == 1) {
      for (std::size_t c = 0; c < chunks; ++c) f(c * grain, std::min(n, (c + 1) * grain), std::size_t{0});
      return;
    }
    std::atomic<std::size_t> next{0};
    auto job = [&](std::size_t slot) {
      for (std::size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;)
        f(c * grain, std::min(n, (c + 1) * grain), slot);
    };
    run(job);
  }

  // One contiguous range per thread: f(begin, end, slot). For jobs whose cost
  // is even and which stream memory in order (decode matmuls).
  template <class F>
  void parallel_for(std::size_t n, F&& f) {
    parallel_for(n, (n + size_ - 1) / size_, std::forward<F>(f));
  }

 private:
  static constexpr std::uint64_t open_bit = std::uint64_t{1} << 63;

  static void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  // Runs job(slot) on the caller and on every worker that joins before the
  // caller is done; returns when all joined workers have left.
  template <class F>
  void run(F& job) {
    job_obj_ = static_cast<void*>(&job);
    job_call_ = [](void* obj, std::size_t slot) { (*static_cast<F*>(obj))(slot); };
    gate_.store(open_bit, std::memory_order_release);
    {
      std::lock_guard lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    job(0);
    gate_.fetch_and(~open_bit, std::memory_order_acq_rel);
    for (int spins = 0; gate_.load(std::memory_order_acquire) != 0; ++spins)
      spins < 4096 ? spin_pause() : std::this_thread::yield();
  }

  bool join() {
    std::uint64_t g = gate_.load(std::memory_order_acquire);
    while (g & open_bit)
      if (gate_.compare_exchange_weak(g, g + 1, std::memory_order_acq_rel)) return true;
    return false;
  }

  void worker(std::size_t slot) {
    std::size_t seen = 0;
    for (;;) {
      for (int i = 0; i < 20000 && generation_.load(std::memory_order_acquire) == seen; ++i) spin_pause();
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = generation_.load(std::memory_order_acquire);
      // Atomic: a worker woken by a job's generation reads it while the
      // destructor may be setting it (ThreadSanitizer found the race).
      if (stop_.load(std::memory_order_acquire)) return;
      if (join()) {
        job_call_(job_obj_, slot);
        gate_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  std::size_t size_;
  std::vector<std::thread> workers_;
  void* job_obj_ = nullptr;
  void (*job_call_)(void*, std::size_t) = nullptr;
  std::atomic<std::uint64_t> gate_{0};
  std::atomic<std::size_t> generation_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
};

}  // namespace glm4
