// What the fuzz targets share: a per-process scratch folder for readers that
// take a path (the library maps or streams files, it has no in-memory entry
// point for them), and the text the tokenizer targets encode.
//
// The folder is in /dev/shm where there is one: tmpfs, so writing each input
// costs a memcpy, not disk I/O, at thousands of executions a second. Each
// process has its own (libFuzzer's -jobs/-workers run several at once) and
// removes it at exit.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace glm4::fuzz {

// Text every tokenizer target encodes with what it built: ASCII words and
// digits, whitespace runs, CJK, an emoji, a special token's spelling.
inline constexpr std::string_view sample_text =
    "Hello, world! 12345  tabs\t\tand\nnew lines \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c "
    "\xf0\x9f\x98\x80 <|user|>";

class scratch_folder {
 public:
  scratch_folder() {
    const std::filesystem::path shm = "/dev/shm";
    std::error_code ec;
    const auto base = std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
    path_ = base / ("glm4-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  scratch_folder(const scratch_folder&) = delete;
  scratch_folder& operator=(const scratch_folder&) = delete;
  ~scratch_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }

  // Replaces the file `name` in the folder with `bytes`; returns its path.
  std::filesystem::path write(std::string_view name, std::span<const std::uint8_t> bytes) const {
    auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return file;
  }
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    return write(name, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }

  // Removes the file `name` if it is there.
  void remove(std::string_view name) const {
    std::error_code ec;
    std::filesystem::remove(path_ / name, ec);
  }

 private:
  std::filesystem::path path_;
};

// A property the target checks beyond "no crash": when it fails, says which
// and aborts, so libFuzzer keeps the input as a crash.
inline void require(bool holds, std::string_view property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property broken: %.*s\n", static_cast<int>(property.size()), property.data());
  std::abort();
}

// The process's scratch folder.
inline const scratch_folder& scratch() {
  static const scratch_folder folder;
  return folder;
}

}  // namespace glm4::fuzz
