// Memory read bandwidth probe: the ceiling a decode step (which streams every
// weight byte once) can reach on this machine.
//
//   double gbs = glm4::bench::read_bandwidth_gbs(threads);   // GB/s, 1e9 bytes
//   double now = glm4::bench::read_pass_gbs(data, bytes, threads);  // one pass over given memory
//
// A buffer (1 GiB by default, far past any cache) in 2 MiB pages where the
// kernel grants them (as the weights' mapping asks for, io/mapped_file.hpp)
// is first touched by the threads that later read it (so pages land on their
// NUMA nodes), then, all starting together at a barrier, each thread reads
// its contiguous slice with SIMD loads into independent XOR accumulators (no
// FP latency chain, no stores), prefetching 8 KiB ahead into L2 as the
// decode kernels do (kernels/x86/avx512_gemv_rows.hpp's gemv_rows), the way matmul's
// threads each stream their own rows. The best of `runs` passes is reported,
// as for a roofline the attainable peak is what matters. read_pass_gbs is
// one such pass over memory the caller has (glm4-bench: the token embedding,
// between decode steps, where the machine's bandwidth of the moment is
// wanted).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "glm4/kernels/simd.hpp"

namespace glm4::bench {

namespace detail {
namespace hn = hwy::HWY_NAMESPACE;

// XOR of every 32-bit word in [p, p + n) (n a multiple of 8 vectors).
inline std::uint32_t read_slice(const std::uint32_t* HWY_RESTRICT p, std::size_t n) {
  const hn::ScalableTag<std::uint32_t> d;
  const std::size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  auto a4 = hn::Zero(d), a5 = hn::Zero(d), a6 = hn::Zero(d), a7 = hn::Zero(d);
  constexpr std::size_t ahead = 8192 / sizeof(std::uint32_t);
  for (std::size_t i = 0; i + 8 * N <= n; i += 8 * N) {
    for (std::size_t b = 0; b < 8 * N * sizeof(std::uint32_t); b += 64)
      __builtin_prefetch(reinterpret_cast<const char*>(p + i + ahead) + b, 0, 2);  // prefetcht1
    a0 = hn::Xor(a0, hn::Load(d, p + i));
    a1 = hn::Xor(a1, hn::Load(d, p + i + N));
    a2 = hn::Xor(a2, hn::Load(d, p + i + 2 * N));
    a3 = hn::Xor(a3, hn::Load(d, p + i + 3 * N));
    a4 = hn::Xor(a4, hn::Load(d, p + i + 4 * N));
    a5 = hn::Xor(a5, hn::Load(d, p + i + 5 * N));
    a6 = hn::Xor(a6, hn::Load(d, p + i + 6 * N));
    a7 = hn::Xor(a7, hn::Load(d, p + i + 7 * N));
  }
  const auto v = hn::Xor(hn::Xor(hn::Xor(a0, a1), hn::Xor(a2, a3)), hn::Xor(hn::Xor(a4, a5), hn::Xor(a6, a7)));
  HWY_ALIGN std::uint32_t lanes[HWY_MAX_BYTES / sizeof(std::uint32_t)];
  hn::Store(v, d, lanes);
  std::uint32_t x = 0;
  for (std::size_t i = 0; i < N; ++i) x ^= lanes[i];
  return x;
}
}  // namespace detail

struct bandwidth_options {
  std::size_t bytes = std::size_t{1} << 30;  // buffer size
  int runs = 5;                              // passes; the fastest counts
};

namespace detail {
// f(t) on `threads` threads (the caller is t = 0), joined before returning.
template <class F>
void on_threads(std::size_t threads, F f) {
  std::vector<std::jthread> workers;
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(f, t);
  f(std::size_t{0});
}

// The whole 4 KiB pages of [p, p + n) in `threads` equal slices (each a
// multiple of 8 vectors of any target), as 32-bit words.
struct slices {
  const std::uint32_t* begin;
  std::size_t per_thread;  // words
  double bytes(std::size_t threads) const { return static_cast<double>(per_thread * threads * sizeof(std::uint32_t)); }
};
inline slices page_slices(const void* p, std::size_t n, std::size_t threads) {
  constexpr std::size_t page = 4096;
  const auto first = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
  const auto last = (reinterpret_cast<std::uintptr_t>(p) + n) / page * page;
  const std::size_t pages = last > first ? (last - first) / page / threads : 0;
  return {reinterpret_cast<const std::uint32_t*>(first), pages * page / sizeof(std::uint32_t)};
}

// One timed pass of `threads` threads over their slices, in seconds: all
// start together at a barrier; the clock stops when the last one is done.
inline double timed_pass(slices s, std::size_t threads) {
  std::barrier sync(static_cast<std::ptrdiff_t>(threads));
  std::vector<std::uint32_t> sink(threads);
  std::chrono::steady_clock::time_point t0;
  double seconds = 0;
  on_threads(threads, [&](std::size_t t) {
    sync.arrive_and_wait();
    if (t == 0) t0 = std::chrono::steady_clock::now();
    sink[t] = read_slice(s.begin + t * s.per_thread, s.per_thread);
    sync.arrive_and_wait();
    if (t == 0) seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  volatile std::uint32_t keep = 0;
  for (auto v : sink) keep = keep ^ v;
  (void)keep;
  return seconds;
}
}  // namespace detail

// One pass over the whole 4 KiB pages of [data, data + bytes) with
// `threads` threads (the caller included), each reading 1/threads of it,
// in GB/s; 0 if that is under a page per thread.
inline double read_pass_gbs(const void* data, std::size_t bytes, std::size_t threads) {
  threads = std::max<std::size_t>(threads, 1);
  const auto s = detail::page_slices(data, bytes, threads);
  if (s.per_thread == 0) return 0.0;
  return s.bytes(threads) / detail::timed_pass(s, threads) / 1e9;
}

// Best read bandwidth over `opt.runs` passes over a buffer of its own, in
// GB/s (1e9 bytes per second), with `threads` threads (the caller included).
// Plain std::threads, independent of the library's pool.
inline double read_bandwidth_gbs(std::size_t threads, bandwidth_options opt = {}) {
  threads = std::max<std::size_t>(threads, 1);
  const std::size_t bytes = opt.bytes / 4096 * 4096;
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 0.0;
  ::madvise(mem, bytes, MADV_HUGEPAGE);
  const std::unique_ptr<void, std::function<void(void*)>> unmap(mem, [bytes](void* q) { ::munmap(q, bytes); });
  const auto s = detail::page_slices(mem, bytes, threads);
  if (s.per_thread == 0) return 0.0;
  // First touch by the reading thread (pages land on its NUMA node);
  // distinct words so nothing stays a shared zero page.
  detail::on_threads(threads, [&](std::size_t t) {
    auto* p = const_cast<std::uint32_t*>(s.begin) + t * s.per_thread;
    for (std::size_t i = 0; i < s.per_thread; ++i)
      p[i] = static_cast<std::uint32_t>(t * s.per_thread + i) * 2654435761u;
  });
  double best_s = 1e300;
  for (int r = 0; r < std::max(1, opt.runs); ++r) best_s = std::min(best_s, detail::timed_pass(s, threads));
  return s.bytes(threads) / best_s / 1e9;
}

}  // namespace glm4::bench
