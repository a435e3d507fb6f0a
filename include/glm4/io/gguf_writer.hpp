// Writes GGUF version 3 files that llama.cpp and gguf_file read: metadata of
// every value type, then tensor infos, then the tensors, each padded to the
// alignment (general.alignment, written when not the default 32).
//
//   gguf_writer w;
//   w.set("general.architecture", std::string("glm4"));
//   w.set("glm4.block_count", std::uint32_t{40});
//   w.set_array("tokenizer.ggml.tokens", tokens);
//   w.add_tensor("blk.0.ffn_down.weight", ggml_type::q8_0, {4096, 13696}, bytes);
//   w.write("model-Q8_0.gguf");
//
// Shapes are given row-major, outermost first ({out, in}) like everywhere
// else in glm4.hpp; the writer stores them in ggml's reversed ne order.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/io/gguf.hpp"
#include "glm4/quant/formats.hpp"

namespace glm4::io {

class gguf_writer {
 public:
  // Fills a tensor's bytes (exactly its storage size) when the file is
  // written, so a converter need not hold every converted tensor at once.
  using fill_fn = std::function<void(std::span<std::byte>)>;

  explicit gguf_writer(std::uint32_t alignment = gguf_file::default_alignment) : alignment_(alignment) {
    if (alignment == 0 || !std::has_single_bit(alignment))
      throw invalid_argument("GGUF alignment " + std::to_string(alignment) + " is not a power of two");
    if (alignment != gguf_file::default_alignment) kvs_.push_back({"general.alignment", alignment});
  }

  // Sets `key` (replacing an earlier value, keeping its position).
  void set(std::string key, gguf_value value) {
    if (key.empty()) throw invalid_argument("GGUF metadata key is empty");
    if (key == "general.alignment")
      throw invalid_argument("general.alignment is the gguf_writer constructor's argument");
    for (auto& kv : kvs_)
      if (kv.key == key) {
        kv.value = std::move(value);
        return;
      }
    kvs_.push_back({std::move(key), std::move(value)});
  }
  template <gguf_element T>
  void set_array(std::string key, std::vector<T> values) {
    set(std::move(key), gguf_array{std::move(values)});
  }

  // A tensor whose bytes (borrowed: they must outlive write()) are already
  // in `type`'s storage format.
  void add_tensor(std::string name, quant::ggml_type type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> bytes) {
    const std::size_t n = storage_bytes(name, type, shape);
    if (bytes.size() != n)
      throw invalid_argument("tensor '" + name + "' has " + std::to_string(bytes.size()) + " bytes, its shape as " +
                             quant::type_name(type) + " needs " + std::to_string(n));
    add(std::move(name), type, std::move(shape), n,
        [bytes](std::span<std::byte> out) { std::memcpy(out.data(), bytes.data(), bytes.size()); });
  }
  // A tensor produced by `fill` at write time.
  void add_tensor(std::string name, quant::ggml_type type, std::vector<std::int64_t> shape, fill_fn fill) {
    const std::size_t n = storage_bytes(name, type, shape);
    add(std::move(name), type, std::move(shape), n, std::move(fill));
  }

  // Writes the file, failing at the first write, flush or close the system
  // refuses (a full disk, a file size limit) with an io_error naming the
  // file and the reason; what was written stays for the caller to remove.
  void write(const std::filesystem::path& path) const {
    checked_file out(path);
    std::uint64_t pos = 0;
    const auto put = [&](const void* p, std::size_t n) {
      out.write(p, n);
      pos += n;
    };
    const auto put_u32 = [&](std::uint32_t v) { put(&v, 4); };
    const auto put_u64 = [&](std::uint64_t v) { put(&v, 8); };
    const auto put_string = [&](const std::string& s) {
      put_u64(s.size());
      put(s.data(), s.size());
    };
    const auto pad = [&] {
      static constexpr char zeros[256] = {};
      for (std::uint64_t n = (alignment_ - pos % alignment_) % alignment_; n > 0;) {
        const std::uint64_t k = std::min<std::uint64_t>(n, sizeof zeros);
        put(zeros, k);
        n -= k;
      }
    };
    const auto put_element = [&]<class T>(const T& v) {
      if constexpr (std::is_same_v<T, std::string>) {
        put_string(v);
      } else if constexpr (std::is_same_v<T, bool>) {
        const std::uint8_t b = v ? 1 : 0;
        put(&b, 1);
      } else {
        put(&v, sizeof v);
      }
    };

    put("GGUF", 4);
    put_u32(3);
    put_u64(tensors_.size());
    put_u64(kvs_.size());
    for (const auto& kv : kvs_) {
      put_string(kv.key);
      put_u32(static_cast<std::uint32_t>(kv.value.index()));
      std::visit(
          [&]<class V>(const V& v) {
            if constexpr (std::is_same_v<V, gguf_array>) {
              put_u32(static_cast<std::uint32_t>(v.element_type()));
              put_u64(v.size());
              std::visit(
                  [&](const auto& values) {
                    for (const auto& e : values) put_element(static_cast<typename std::decay_t<decltype(values)>::value_type>(e));
                  },
                  v.values);
            } else {
              put_element(v);
            }
          },
          kv.value);
    }
    std::uint64_t offset = 0;
    for (const auto& t : tensors_) {
      put_string(t.name);
      put_u32(static_cast<std::uint32_t>(t.shape.size()));
      for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) put_u64(static_cast<std::uint64_t>(*d));
      put_u32(static_cast<std::uint32_t>(t.type));
      put_u64(offset);
      offset += (t.bytes + alignment_ - 1) / alignment_ * alignment_;
    }
    pad();
    std::vector<std::byte> buffer;
    for (const auto& t : tensors_) {
      buffer.assign(t.bytes, std::byte{0});
      t.fill(buffer);
      put(buffer.data(), buffer.size());
      pad();
    }
    out.close();
  }

 private:
  // A file written through a buffer with every write(2), fsync(2) and
  // close(2) checked: a stream's failure bit would be seen only at the
  // end, after converting every tensor for nothing, and a close error never.
  // fsync because the caller renames the file into place next, and a rename
  // that reaches the disk before the data can leave an empty model after a crash.
  class checked_file {
   public:
    explicit checked_file(const std::filesystem::path& path) : path_(path) {
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd_ < 0) fail("cannot create");
      buffer_.reserve(buffer_bytes);
    }
    checked_file(const checked_file&) = delete;
    checked_file& operator=(const checked_file&) = delete;
    ~checked_file() {
      if (fd_ >= 0) ::close(fd_);
    }

    void write(const void* p, std::size_t n) {
      const auto* bytes = static_cast<const char*>(p);
      if (buffer_.size() + n > buffer_bytes) drain();
      if (n >= buffer_bytes) return write_all(bytes, n);
      buffer_.insert(buffer_.end(), bytes, bytes + n);
    }

    void close() {
      drain();
      if (::fsync(fd_) != 0 && errno != EINVAL) fail("cannot write");  // EINVAL: a pipe or FIFO, nothing to sync
      const int fd = std::exchange(fd_, -1);
      if (::close(fd) != 0) fail("cannot write");
    }

   private:
    static constexpr std::size_t buffer_bytes = std::size_t{1} << 20;

    void drain() {
      write_all(buffer_.data(), buffer_.size());
      buffer_.clear();
    }
    void write_all(const char* p, std::size_t n) {
      while (n > 0) {
        const ssize_t done = ::write(fd_, p, n);
        if (done < 0 && errno == EINTR) continue;
        if (done < 0) fail("cannot write");
        p += done;
        n -= static_cast<std::size_t>(done);
        written_ += static_cast<std::uint64_t>(done);
      }
    }
    [[noreturn]] void fail(const char* what) const {
      const int err = errno;
      throw io_error(std::string(what) + " " + path_.string() + ": " + std::strerror(err) +
                     (fd_ < 0 && written_ == 0 ? "" : " (" + std::to_string(written_) + " bytes written)"));
    }

    std::filesystem::path path_;
    int fd_ = -1;
    std::vector<char> buffer_;
    std::uint64_t written_ = 0;
  };

  struct tensor {
    std::string name;
    quant::ggml_type type;
    std::vector<std::int64_t> shape;
    std::size_t bytes;
    fill_fn fill;
  };

  std::size_t storage_bytes(const std::string& name, quant::ggml_type type,
                            const std::vector<std::int64_t>& shape) const {
    if (name.empty()) throw invalid_argument("GGUF tensor name is empty");
    if (shape.size() > gguf_file::max_dims)
      throw invalid_argument("tensor '" + name + "' has " + std::to_string(shape.size()) +
                             " dimensions, GGUF allows " + std::to_string(gguf_file::max_dims));
    std::int64_t elements = 1;
    for (auto d : shape) {
      if (d < 0) throw invalid_argument("tensor '" + name + "' has a negative dimension " + std::to_string(d));
      elements *= d;
    }
    quant::type_traits traits{};
    try {
      traits = quant::traits_of(type);
    } catch (const format_error& e) {
      throw invalid_argument("tensor '" + name + "': " + e.what());
    }
    const std::int64_t row = shape.empty() ? 1 : shape.back();
    if (row % static_cast<std::int64_t>(traits.block_elems) != 0)
      throw invalid_argument("tensor '" + name + "' has rows of " + std::to_string(row) + " values, not a multiple of " +
                             quant::type_name(type) + "'s block of " + std::to_string(traits.block_elems));
    return static_cast<std::size_t>(elements) / traits.block_elems * traits.block_bytes;
  }

  void add(std::string name, quant::ggml_type type, std::vector<std::int64_t> shape, std::size_t bytes,
           fill_fn fill) {
    if (!names_.insert(name).second) throw invalid_argument("duplicate GGUF tensor '" + name + "'");
    tensors_.push_back({std::move(name), type, std::move(shape), bytes, std::move(fill)});
  }

  std::uint32_t alignment_;
  std::vector<gguf_kv> kvs_;
  std::vector<tensor> tensors_;
  std::set<std::string> names_;
};

}  // namespace glm4::io
