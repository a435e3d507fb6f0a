// How much memory this process can still have, and sizes computed without
// overflow: a session checks its buffers against the first before it
// allocates them, so a context too large for the machine is an error that
// names both numbers instead of a bare std::bad_alloc (or, under Linux's
// overcommit, a process the kernel kills halfway through a prompt).
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

namespace glm4 {

// a * b, or nullopt when the product does not fit a size_t.
inline std::optional<std::size_t> checked_mul(std::size_t a, std::size_t b) {
  std::size_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}
inline std::optional<std::size_t> checked_add(std::size_t a, std::size_t b) {
  std::size_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// The tightest of the limits on this process's memory, and which it is.
struct memory_limit {
  std::size_t bytes = SIZE_MAX;
  std::string source = "no limit known";
};

namespace memory_detail {
// cgroup v2's memory.max of the cgroup this process sees as its root (a
// container's own limit); nullopt when absent or "max".
inline std::optional<std::size_t> cgroup_memory_max() {
  std::ifstream in("/sys/fs/cgroup/memory.max");
  std::uint64_t bytes = 0;
  if (!(in >> bytes)) return std::nullopt;
  return static_cast<std::size_t>(bytes);
}
// The address space in use now (VmSize), from /proc/self/statm.
inline std::size_t address_space_in_use() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0;
  in >> pages;
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace memory_detail

// Memory a new allocation can still take: the least of physical memory,
// the container's memory.max and what RLIMIT_AS leaves past the address
// space in use. Physical memory counts whole, not what is free now: the
// page cache (which holds mapped weights) gives way on demand.
inline memory_limit available_memory() {
  memory_limit limit;
  const auto tighten = [&](std::size_t bytes, std::string source) {
    if (bytes < limit.bytes) limit = {bytes, std::move(source)};
  };
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0)
    tighten(static_cast<std::size_t>(pages) * static_cast<std::size_t>(page), "physical memory");
  if (const auto cgroup = memory_detail::cgroup_memory_max()) tighten(*cgroup, "the cgroup's memory.max");
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const std::size_t in_use = memory_detail::address_space_in_use();
    const auto cap = static_cast<std::size_t>(as.rlim_cur);
    tighten(cap > in_use ? cap - in_use : 0,
            "RLIMIT_AS (ulimit -v) of " + std::to_string(cap) + " bytes less " + std::to_string(in_use) + " in use");
  }
  return limit;
}

}  // namespace glm4
