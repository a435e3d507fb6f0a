// A read-only memory mapping of a whole file. Weights are used in place from
// the mapping, so a model costs page cache, not heap; the mapping lives as
// long as any matrix borrowed from it (shared_ptr).
//
// The mapping asks for 2 MiB pages (MADV_HUGEPAGE): a decode step streams
// every weight once, and through 4 KiB pages a 5 GB model costs 1.2 M TLB
// misses per token (the 9B Q4_0 benchmark: ~10 % slower decode). The page
// cache can map a file that way only where it holds it in 2 MiB folios; when
// memory was short or fragmented as the file was read in, or on kernels and
// filesystems without large folios, it holds smaller ones until the file is
// evicted. residency() shows how much of the mapping is in 2 MiB pages.
//
// A mapping sees the file as it is now, not as it was opened: a file
// truncated (or overwritten in place by a copy that starts by truncating)
// while mapped makes the next read of a page past its new end a SIGBUS,
// and rewritten bytes change the weights under the reader. Replacing the
// file by rename is safe: the mapping keeps the old inode. Every live
// mapping is listed in a table that a SIGBUS handler can read, so a
// program can turn that crash into a message naming the file
// (exit_on_mapping_fault below; the `glm4` command does).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "glm4/core/error.hpp"

namespace glm4::io {

namespace detail {

// The table of live mappings: fixed, so a signal handler reads it without
// locks or allocation. A slot goes free -> claimed (being filled) -> live;
// the handler trusts only live slots. Mappings beyond the table still work,
// they are just not named when they fault.
struct live_mapping {
  static constexpr int free = 0, claimed = 1, live = 2;
  std::atomic<int> state{free};
  const std::byte* begin = nullptr;
  std::size_t size = 0;
  const char* path = nullptr;  // owned by the mapped_file, which outlives the slot
};
inline std::array<live_mapping, 256> live_mappings;
inline std::atomic<int> mapping_fault_exit_status{0};

inline live_mapping* register_mapping(const std::byte* begin, std::size_t size, const char* path) {
  for (auto& slot : live_mappings) {
    int expected = live_mapping::free;
    if (!slot.state.compare_exchange_strong(expected, live_mapping::claimed, std::memory_order_acquire)) continue;
    slot.begin = begin;
    slot.size = size;
    slot.path = path;
    slot.state.store(live_mapping::live, std::memory_order_release);
    return &slot;
  }
  return nullptr;
}

// Async-signal-safe output: write(2) of pieces, numbers in decimal.
inline void write_stderr(const char* text) { (void)!::write(STDERR_FILENO, text, std::strlen(text)); }
inline void write_stderr(std::size_t n) {
  char digits[24];
  char* p = digits + sizeof digits;
  *--p = '\0';
  do *--p = static_cast<char>('0' + n % 10); while ((n /= 10) != 0);
  write_stderr(p);
}

inline void on_mapping_fault(int number, siginfo_t* info, void*) {
  const auto* address = static_cast<const std::byte*>(info->si_addr);
  for (const auto& slot : live_mappings) {
    if (slot.state.load(std::memory_order_acquire) != live_mapping::live) continue;
    if (address < slot.begin || address >= slot.begin + slot.size) continue;
    write_stderr("glm4: ");
    write_stderr(slot.path);
    write_stderr(" shrank or changed while mapped: reading byte ");
    write_stderr(static_cast<std::size_t>(address - slot.begin));
    write_stderr(" of the ");
    write_stderr(slot.size);
    write_stderr(" it had when opened failed; a model file must not be truncated or overwritten while in use "
                 "(replace it with a rename instead)\n");
    ::_exit(mapping_fault_exit_status.load());
  }
  // Not a model file: the default action (a core dump), as without this handler.
  ::signal(number, SIG_DFL);
  ::raise(number);
}

}  // namespace detail

// Makes a SIGBUS inside a live mapping (the file shrank under it, see the
// top of this file) print "glm4: <path> shrank or changed while mapped ..."
// on stderr and _exit(exit_status), where it would kill the process with no
// word of why. A SIGBUS anywhere else keeps its default action. Replaces
// the program's own SIGBUS handler, if it had one.
inline void exit_on_mapping_fault(int exit_status) {
  detail::mapping_fault_exit_status.store(exit_status);
  struct sigaction action {};
  action.sa_sigaction = detail::on_mapping_fault;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGBUS, &action, nullptr) != 0)
    throw io_error(std::string("cannot install the SIGBUS handler: ") + std::strerror(errno));
}

class mapped_file {
 public:
  static std::shared_ptr<const mapped_file> open(const std::filesystem::path& path) {
    return std::shared_ptr<const mapped_file>(new mapped_file(path));
  }

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (slot_ != nullptr) slot_->state.store(detail::live_mapping::free, std::memory_order_release);
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  }

  std::span<const std::byte> bytes() const { return {data_, size_}; }

  // Drops the pages wholly inside `range` (a part of this mapping) from the
  // process's memory: the page cache keeps them, and a later read maps them
  // again. The loader calls it for the tensors it has copied (repacked), so
  // that peak RSS counts their bytes once.
  void release(std::span<const std::byte> range) const {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(range.data()), end = begin + range.size();
    const std::uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
    if (begin < reinterpret_cast<std::uintptr_t>(data_) || end > reinterpret_cast<std::uintptr_t>(data_ + size_) ||
        first >= last)
      return;
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // The mapping's pages now: bytes resident, and of those the bytes mapped
  // with 2 MiB pages (Linux's /proc/self/smaps, Rss and FilePmdMapped);
  // nullopt where the kernel does not report them.
  struct residency_info {
    std::size_t resident = 0;
    std::size_t huge = 0;
  };
  std::optional<residency_info> residency() const {
    std::ifstream smaps("/proc/self/smaps");
    if (!smaps || data_ == nullptr) return std::nullopt;
    const auto begin = reinterpret_cast<std::uintptr_t>(data_), end = begin + size_;
    residency_info r;
    bool inside = false, seen = false;
    for (std::string line; std::getline(smaps, line);) {
      unsigned long lo = 0, hi = 0, kib = 0;
      char field[32];
      if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
        inside = lo >= begin && lo < end;  // a header line: "start-end perms offset dev inode path"
        seen = seen || inside;
      } else if (inside && std::sscanf(line.c_str(), "%31[^:]: %lu kB", field, &kib) == 2) {
        if (std::string_view(field) == "Rss") r.resident += kib * 1024;
        if (std::string_view(field) == "FilePmdMapped") r.huge += kib * 1024;
      }
    }
    if (!seen) return std::nullopt;
    return r;
  }

 private:
  explicit mapped_file(const std::filesystem::path& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error("cannot open " + path.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw io_error("not a regular file: " + path.string());
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        throw io_error("cannot map " + path.string() + ": " + std::strerror(err));
      }
      data_ = static_cast<const std::byte*>(p);
      // 2 MiB pages where the page cache has 2 MiB folios (see above); the
      // first pass also faults 512x fewer times.
      ::madvise(p, size_, MADV_HUGEPAGE);
      slot_ = detail::register_mapping(data_, size_, path_text_.c_str());
    }
    ::close(fd);
  }

  std::filesystem::path path_;
  std::string path_text_ = path_.string();  // what the SIGBUS handler prints
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  detail::live_mapping* slot_ = nullptr;
};

}  // namespace glm4::io
