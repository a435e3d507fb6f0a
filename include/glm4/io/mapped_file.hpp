// A read-only memory mapping of a whole file. Weights are used in place from
// the mapping, so a model costs page cache, not heap; the mapping lives as
// long as any matrix borrowed from it (shared_ptr).
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

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
      // Ask for 2 MiB mappings of the page cache's large folios (honoured
      // where the kernel and filesystem have them, harmless elsewhere):
      // a decode step streams every weight once, and with 4 KiB pages a
      // 5 GB model is 1.2 M TLB misses per token. Also makes the first
      // pass fault 512x fewer times.
      ::madvise(p, size_, MADV_HUGEPAGE);
    }
    ::close(fd);
  }

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace glm4::io
