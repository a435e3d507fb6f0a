// A zip archive read in place from its mapping: enough of PKWARE's APPNOTE
// for the archives torch.save writes (caffe2's PyTorchStreamWriter over
// miniz) and any other zip whose entries are stored, not compressed.
//
//   per entry:  local header (30 B, name, extra)  data  [data descriptor]
//   central directory: per entry 46 B, name, extra, comment
//   [ZIP64 end record (56 B), ZIP64 locator (20 B)]   sizes or offsets >= 4 GiB
//   end of central directory (22 B, comment of up to 64 KiB)
//
// The central directory is the truth. torch's writer leaves the local
// header's CRC and sizes zero (bit 3: they follow the data), so of a local
// header only the signature, the name and the extra length are read, to find
// where the data starts; torch puts 'FB' padding there so that it starts on
// a 64-byte boundary. GLM-130B's partitions are ~30 GB, so offsets past
// 4 GiB come from ZIP64 extra fields (torch writes the ZIP64 end records in
// every file).
//
// Nothing is trusted: every offset, length and count is checked against the
// file before it is used or anything is allocated for it, and every problem
// is a format_error naming the file, the entry and the numbers. CRCs are not
// checked: that would read all 30 GB at open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/io/mapped_file.hpp"

namespace glm4::io {

namespace detail {

// A name from a file, quoted and made safe to print: control bytes are
// escaped and very long names are cut.
inline std::string quoted(std::string_view s) {
  constexpr std::size_t max_shown = 200;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != 0x7f && u != '\'' && u != '\\') {
      out += static_cast<char>(u);
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += {'\\', 'x', hex[u >> 4], hex[u & 15]};
    }
  }
  if (s.size() > max_shown) out += "...";
  return out + "'";
}

}  // namespace detail

struct zip_entry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflated, ...
  std::uint16_t flags = 0;   // general purpose bits; bit 0: encrypted
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t header_offset = 0;  // of the local header
  std::uint64_t data_offset = 0;    // of the first data byte

  bool stored() const { return method == 0 && (flags & 1u) == 0; }
};

class zip_archive {
 public:
  explicit zip_archive(std::shared_ptr<const mapped_file> file) : file_(std::move(file)) { parse(); }
  explicit zip_archive(const std::filesystem::path& path) : zip_archive(mapped_file::open(path)) {}

  const std::filesystem::path& path() const { return file_->path(); }
  const std::shared_ptr<const mapped_file>& mapping() const { return file_; }

  // Entries in central directory order.
  const std::vector<zip_entry>& entries() const { return entries_; }
  const zip_entry* find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
  }

  // An entry's bytes, in the mapping; only stored entries have them.
  std::span<const std::byte> bytes(const zip_entry& e) const {
    if (e.flags & 1u) fail("entry " + detail::quoted(e.name) + " is encrypted");
    if (e.method != 0)
      fail("entry " + detail::quoted(e.name) + " is compressed (method " + std::to_string(e.method) +
           (e.method == 8 ? ", deflate" : "") + "); only stored entries can be used in place");
    return file_->bytes().subspan(e.data_offset, e.size);
  }
  std::span<const std::byte> bytes(std::string_view name) const {
    if (const zip_entry* e = find(name)) return bytes(*e);
    fail("no entry " + detail::quoted(name));
  }

 private:
  static constexpr std::uint32_t local_signature = 0x04034b50;
  static constexpr std::uint32_t central_signature = 0x02014b50;
  static constexpr std::uint32_t end_signature = 0x06054b50;
  static constexpr std::uint32_t zip64_end_signature = 0x06064b50;
  static constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
  static constexpr std::uint64_t local_size = 30, central_size = 46, end_size = 22;
  static constexpr std::uint64_t zip64_end_size = 56, zip64_locator_size = 20;
  static constexpr std::uint64_t max_comment = 0xffff;
  static constexpr std::uint32_t saturated32 = 0xffffffff;  // "see the ZIP64 field"

  [[noreturn]] void fail(const std::string& what) const { throw format_error(path().string() + ": " + what); }

  // Little-endian fields; callers have checked that [at, at + N) is inside.
  std::uint64_t le(std::uint64_t at, int n) const {
    const auto b = file_->bytes();
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(b[at + static_cast<unsigned>(i)]);
    return v;
  }
  std::uint16_t u16(std::uint64_t at) const { return static_cast<std::uint16_t>(le(at, 2)); }
  std::uint32_t u32(std::uint64_t at) const { return static_cast<std::uint32_t>(le(at, 4)); }
  std::uint64_t u64(std::uint64_t at) const { return le(at, 8); }

  void parse() {
    const std::uint64_t size = file_->size();
    if (size < end_size) fail("file is " + std::to_string(size) + " bytes, too short for a zip archive");

    // The end record is the last 22 bytes unless the archive has a comment;
    // search back over the longest comment there can be.
    const std::uint64_t lowest = size - end_size > max_comment ? size - end_size - max_comment : 0;
    std::uint64_t end = size;
    for (std::uint64_t p = size - end_size + 1; p-- > lowest;) {
      if (u32(p) == end_signature && p + end_size + u16(p + 20) <= size) {
        end = p;
        break;
      }
    }
    if (end == size) fail("no end of central directory record: not a zip archive, or truncated");

    std::uint64_t disk = u16(end + 4), directory_disk = u16(end + 6);
    std::uint64_t count_here = u16(end + 8), count = u16(end + 10);
    std::uint64_t directory_size = u32(end + 12), directory_offset = u32(end + 16);
    std::uint64_t directory_limit = end;  // the directory lies before the end records

    if (end >= zip64_locator_size && u32(end - zip64_locator_size) == zip64_locator_signature) {
      const std::uint64_t locator = end - zip64_locator_size;
      const std::uint64_t record = u64(locator + 8);
      if (u32(locator + 16) > 1) fail("multi-disk (spanned) zip archives are not supported");
      if (record > locator || locator - record < zip64_end_size)
        fail("the ZIP64 locator points at offset " + std::to_string(record) +
             ", where no ZIP64 end record fits before the locator at " + std::to_string(locator));
      if (u32(record) != zip64_end_signature)
        fail("no ZIP64 end of central directory record at offset " + std::to_string(record) +
             ", where the locator points");
      disk = u32(record + 16);
      directory_disk = u32(record + 20);
      count_here = u64(record + 24);
      count = u64(record + 32);
      directory_size = u64(record + 40);
      directory_offset = u64(record + 48);
      directory_limit = record;
    }
    if (disk != 0 || directory_disk != 0 || count_here != count)
      fail("multi-disk (spanned) zip archives are not supported");
    if (directory_offset > directory_limit || directory_size > directory_limit - directory_offset)
      fail("the central directory [" + std::to_string(directory_offset) + ", +" + std::to_string(directory_size) +
           ") lies outside the " + std::to_string(directory_limit) +
           " bytes before the end records (truncated or corrupt)");
    if (count > directory_size / central_size)
      fail("the central directory claims " + std::to_string(count) + " entries, more than its " +
           std::to_string(directory_size) + " bytes can hold");

    entries_.reserve(count);
    std::uint64_t at = directory_offset;
    const std::uint64_t directory_end = directory_offset + directory_size;
    for (std::uint64_t i = 0; i < count; ++i) {
      zip_entry e = read_central(at, directory_end, i);
      locate_data(e, directory_offset);
      if (!index_.emplace(e.name, entries_.size()).second) fail("duplicate entry " + detail::quoted(e.name));
      entries_.push_back(std::move(e));
    }
  }

  // Reads central directory entry `i` at `at` (advancing it), sizes and
  // offset widened from its ZIP64 field where they are saturated.
  zip_entry read_central(std::uint64_t& at, std::uint64_t directory_end, std::uint64_t i) const {
    const std::string where = "central directory entry " + std::to_string(i) + " at offset " + std::to_string(at);
    if (directory_end - at < central_size) fail(where + " is truncated");
    if (u32(at) != central_signature) fail(where + " has no central directory signature");
    zip_entry e;
    e.flags = u16(at + 8);
    e.method = u16(at + 10);
    e.crc32 = u32(at + 16);
    e.compressed_size = u32(at + 20);
    e.size = u32(at + 24);
    const std::uint64_t name_len = u16(at + 28), extra_len = u16(at + 30), comment_len = u16(at + 32);
    e.header_offset = u32(at + 42);
    if (directory_end - at - central_size < name_len + extra_len + comment_len) fail(where + " is truncated");
    const auto* text = reinterpret_cast<const char*>(file_->bytes().data() + at + central_size);
    e.name.assign(text, name_len);

    // The ZIP64 field holds, in this order, those of size, compressed size
    // and offset whose 32-bit fields are saturated.
    const bool wide_size = e.size == saturated32, wide_compressed = e.compressed_size == saturated32,
               wide_offset = e.header_offset == saturated32;
    std::uint64_t x = at + central_size + name_len;
    const std::uint64_t extra_end = x + extra_len;
    while (extra_end - x >= 4) {
      const std::uint64_t id = u16(x), len = u16(x + 2);
      if (len > extra_end - x - 4) fail("entry " + detail::quoted(e.name) + ": an extra field overruns its entry");
      if (id == 1) {
        std::uint64_t f = x + 4;
        const auto widen = [&](bool wide, std::uint64_t& field, const char* what) {
          if (!wide) return;
          if (x + 4 + len - f < 8)
            fail("entry " + detail::quoted(e.name) + ": its ZIP64 field lacks the 64-bit " + what);
          field = u64(f);
          f += 8;
        };
        widen(wide_size, e.size, "size");
        widen(wide_compressed, e.compressed_size, "compressed size");
        widen(wide_offset, e.header_offset, "header offset");
      }
      x += 4 + len;
    }
    at += central_size + name_len + extra_len + comment_len;
    return e;
  }

  // Finds the entry's data behind its local header; all of it must lie
  // before the central directory.
  void locate_data(zip_entry& e, std::uint64_t directory_offset) const {
    const std::string what = "entry " + detail::quoted(e.name);
    if (e.header_offset > directory_offset || directory_offset - e.header_offset < local_size)
      fail(what + ": its local header at offset " + std::to_string(e.header_offset) +
           " lies outside the data before the central directory at " + std::to_string(directory_offset));
    if (u32(e.header_offset) != local_signature)
      fail(what + ": no local header at offset " + std::to_string(e.header_offset));
    const std::uint64_t name_len = u16(e.header_offset + 26), extra_len = u16(e.header_offset + 28);
    const std::uint64_t data = e.header_offset + local_size + name_len + extra_len;
    if (data > directory_offset || e.compressed_size > directory_offset - data)
      fail(what + ": its data [" + std::to_string(data) + ", +" + std::to_string(e.compressed_size) +
           ") runs past the start of the central directory at " + std::to_string(directory_offset) +
           " (truncated or corrupt)");
    const auto* local_name = reinterpret_cast<const char*>(file_->bytes().data() + e.header_offset + local_size);
    if (std::string_view(local_name, name_len) != e.name)
      fail(what + ": its local header names it " + detail::quoted(std::string_view(local_name, name_len)));
    if (e.method == 0 && e.compressed_size != e.size)
      fail(what + " is stored, yet its size " + std::to_string(e.size) + " differs from its stored size " +
           std::to_string(e.compressed_size));
    e.data_offset = data;
  }

  std::shared_ptr<const mapped_file> file_;
  std::vector<zip_entry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace glm4::io
