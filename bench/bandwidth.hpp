// Memory read bandwidth probe: the ceiling a decode step (which streams every
// weight byte once) can reach on this machine.
//
//   double gbs = glm4::bench::read_bandwidth_gbs(threads);   // GB/s, 1e9 bytes
//
// A buffer (1 GiB by default, far past any cache) in 2 MiB pages where the
// kernel grants them (as the weights' mapping asks for, io/mapped_file.hpp)
// is first touched by the threads that later read it (so pages land on their
// NUMA nodes), then, all starting together at a barrier, each thread reads
// its contiguous slice with aligned SIMD loads into independent XOR
// accumulators (no FP latency chain, no stores), prefetching 8 KiB ahead
// into L2 as the decode kernels do (activation_q8.hpp's gemv_rows), the way
// matmul's threads each stream their own rows. The best of `runs` passes is
// reported, as for a roofline the attainable peak is what matters.
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

// Best read bandwidth over `opt.runs` passes, in GB/s (1e9 bytes per second),
// with `threads` threads (the caller included), each reading 1/threads of the
// buffer. Plain std::threads meeting at a barrier, independent of the
// library's pool: every thread reads its own slice in every pass.
inline double read_bandwidth_gbs(std::size_t threads, bandwidth_options opt = {}) {
  using clock = std::chrono::steady_clock;
  threads = std::max<std::size_t>(threads, 1);
  const int runs = std::max(1, opt.runs);
  // Each thread's slice a whole number of 4 KiB (a multiple of 8 vectors of
  // any target).
  constexpr std::size_t chunk_words = 1024;
  const std::size_t words = opt.bytes / sizeof(std::uint32_t) / (chunk_words * threads) * (chunk_words * threads);
  const std::size_t per_thread = words / threads;
  const std::size_t bytes = words * sizeof(std::uint32_t);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 0.0;
  ::madvise(mem, bytes, MADV_HUGEPAGE);
  const std::unique_ptr<void, std::function<void(void*)>> unmap(mem, [bytes](void* q) { ::munmap(q, bytes); });
  auto* data = static_cast<std::uint32_t*>(mem);

  std::barrier sync(static_cast<std::ptrdiff_t>(threads));
  std::vector<std::uint32_t> sink(threads);
  std::vector<double> seconds(static_cast<std::size_t>(runs));
  const auto body = [&](std::size_t t) {
    // First touch by the reading thread (pages land on its NUMA node);
    // distinct words so nothing stays a shared zero page.
    std::uint32_t* p = data + t * per_thread;
    for (std::size_t i = 0; i < per_thread; ++i) p[i] = static_cast<std::uint32_t>(t * per_thread + i) * 2654435761u;
    for (int r = 0; r < runs; ++r) {
      sync.arrive_and_wait();
      const auto t0 = clock::now();
      sink[t] ^= detail::read_slice(p, per_thread);
      sync.arrive_and_wait();
      if (t == 0) seconds[static_cast<std::size_t>(r)] = std::chrono::duration<double>(clock::now() - t0).count();
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(body, t);
    body(0);
  }
  volatile std::uint32_t keep = 0;
  for (auto v : sink) keep = keep ^ v;
  (void)keep;
  const double best_s = *std::min_element(seconds.begin(), seconds.end());
  return static_cast<double>(words * sizeof(std::uint32_t)) / best_s / 1e9;
}

}  // namespace glm4::bench
