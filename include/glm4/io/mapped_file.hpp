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
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

class mapped_file {
 public:
  static std::shared_ptr<const mapped_file> open(const std::filesystem::path& path) {
    return std::shared_ptr<const mapped_file>(new mapped_file(path));
  }

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  }

  std::span<const std::byte> bytes() const { return {data_, size_}; }
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
    }
    ::close(fd);
  }

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace glm4::io
