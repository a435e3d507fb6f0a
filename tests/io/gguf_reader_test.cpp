// The GGUF reader on hand-made files: the typed metadata accessors, and every
// kind of broken or hostile file ending in a format_error that names the file
// and the problem, without crashing or allocating what the file claims.
#define BOOST_TEST_MODULE io_gguf_reader
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "glm4/io/gguf.hpp"

namespace fs = std::filesystem;
using glm4::format_error;
using glm4::io::gguf_file;
using glm4::io::gguf_type;

namespace {

// GGUF bytes assembled by hand, so they can be wrong in every way.
struct raw {
  std::vector<char> b;

  raw& u8(std::uint8_t v) { return put(&v, 1); }
  raw& u32(std::uint32_t v) { return put(&v, 4); }
  raw& u64(std::uint64_t v) { return put(&v, 8); }
  raw& f32(float v) { return put(&v, 4); }
  raw& str(std::string_view s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  raw& zeros(std::size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
  raw& pad(std::size_t align) { return zeros((align - b.size() % align) % align); }
  raw& header(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
    b.insert(b.end(), {'G', 'G', 'U', 'F'});
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  raw& kv_u32(std::string_view key, std::uint32_t v) { return str(key).u32(4).u32(v); }
  raw& tensor(std::string_view name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    str(name).u32(static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) u64(d);
    return u32(type).u64(offset);
  }

 private:
  raw& put(const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
};

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("glm4_gguf_reader_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};
const temp_dir tmp;

fs::path write(const std::vector<char>& bytes, const std::string& name = "test.gguf") {
  const fs::path p = tmp.path / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

std::shared_ptr<const gguf_file> open_bytes(const std::vector<char>& bytes) { return gguf_file::open(write(bytes)); }

// Opening `bytes` throws a format_error whose message names the file and
// contains `what`.
void expect_error(const std::vector<char>& bytes, const std::string& what) {
  const fs::path p = write(bytes);
  try {
    gguf_file::open(p);
    BOOST_ERROR("no error; expected one containing \"" << what << "\"");
  } catch (const format_error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(p.string()) != std::string::npos, "message does not name the file: " << msg);
    BOOST_TEST(msg.find(what) != std::string::npos, "message \"" << msg << "\" lacks \"" << what << "\"");
  }
}

// A well-formed file: a few metadata types and two tensors (f32 {2, 4} and
// q8_0 {1, 32}) in a 32-aligned data section.
raw valid_file() {
  raw r;
  r.header(2, 5)
      .str("general.architecture").u32(8).str("glm4")
      .kv_u32("glm4.block_count", 2)
      .str("glm4.rope.freq_base").u32(6).f32(10000.0f)
      .str("flag").u32(7).u8(1)
      .str("tokenizer.ggml.tokens").u32(9).u32(8).u64(3).str("a").str("b").str("<|user|>")
      .tensor("w", {4, 2}, 0, 0)
      .tensor("q", {32, 1}, 8, 32)
      .pad(32);
  for (int i = 0; i < 8; ++i) r.f32(static_cast<float>(i));  // w: 32 bytes, q follows at 32
  r.zeros(34);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_a_well_formed_file) {
  const auto f = open_bytes(valid_file().b);
  BOOST_TEST(f->version() == 3u);
  BOOST_TEST(f->alignment() == 32u);
  BOOST_TEST(f->architecture() == "glm4");
  BOOST_TEST(f->get<std::uint32_t>("glm4.block_count") == 2u);
  BOOST_TEST(f->get<float>("glm4.rope.freq_base") == 10000.0f);
  BOOST_TEST(f->get<bool>("flag") == true);
  BOOST_TEST((f->get_array<std::string>("tokenizer.ggml.tokens") == std::vector<std::string>{"a", "b", "<|user|>"}));
  BOOST_TEST(f->metadata().size() == 5u);
  BOOST_TEST(f->metadata()[1].key == "glm4.block_count");
  BOOST_REQUIRE(f->tensors().size() == 2u);
  const auto* w = f->find_tensor("w");
  BOOST_REQUIRE(w != nullptr);
  BOOST_TEST((w->shape() == std::vector<std::int64_t>{2, 4}));
  BOOST_TEST(w->elements() == 8);
  BOOST_TEST(w->bytes.size() == 32u);
  float third = 0;
  std::memcpy(&third, w->bytes.data() + 8, 4);
  BOOST_TEST(third == 2.0f);
  const auto* q = f->find_tensor("q");
  BOOST_REQUIRE(q != nullptr);
  BOOST_TEST(q->bytes.size() == 34u);
  BOOST_TEST(static_cast<std::uint64_t>(q->bytes.data() - f->mapping()->bytes().data()) == f->data_offset() + 32);
  BOOST_TEST(f->find_tensor("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(version_2_reads_like_version_3) {
  raw r = valid_file();
  r.b[4] = 2;
  BOOST_TEST(open_bytes(r.b)->version() == 2u);
}

BOOST_AUTO_TEST_CASE(typed_accessors_explain_missing_and_mistyped_keys) {
  const auto f = open_bytes(valid_file().b);
  const auto message = [&](auto&& call) {
    try {
      call();
    } catch (const format_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string missing = message([&] { f->get<std::uint32_t>("glm4.context_length"); });
  BOOST_TEST(missing.find("metadata key 'glm4.context_length' is missing") != std::string::npos, missing);
  BOOST_TEST(missing.find("test.gguf") != std::string::npos, missing);
  const std::string wrong = message([&] { f->get<float>("glm4.block_count"); });
  BOOST_TEST(wrong.find("'glm4.block_count' is uint32, expected float32") != std::string::npos, wrong);
  const std::string array = message([&] { f->get_array<std::int32_t>("tokenizer.ggml.tokens"); });
  BOOST_TEST(array.find("is an array of string, expected an array of int32") != std::string::npos, array);
  const std::string not_array = message([&] { f->get_array<std::uint32_t>("glm4.block_count"); });
  BOOST_TEST(not_array.find("is uint32, expected array") != std::string::npos, not_array);
  BOOST_TEST(!f->get_optional<std::uint32_t>("glm4.context_length").has_value());
  BOOST_TEST(f->get_optional<std::uint32_t>("glm4.block_count").value() == 2u);
  BOOST_CHECK_THROW(f->get_optional<std::string>("glm4.block_count"), format_error);
}

BOOST_AUTO_TEST_CASE(bad_magic_and_versions) {
  raw r = valid_file();
  r.b[3] = 'X';
  expect_error(r.b, "not a GGUF file: magic is 'GGUX', expected 'GGUF'");
  r.b[0] = '\x01';
  expect_error(r.b, "magic is '\\x01GUX'");
  expect_error(raw{}.header(0, 0, 1).b, "unsupported GGUF version 1 (this reader reads versions 2 and 3)");
  expect_error(raw{}.header(0, 0, 4).b, "unsupported GGUF version 4");
  expect_error(raw{}.header(0, 0, 0x03000000).b, "big-endian GGUF (version 3 byte-swapped) is not supported");
  expect_error({}, "truncated: magic at offset 0 needs 4 bytes, the file has 0 left");
}

// Every proper prefix of a valid file is rejected with a format_error (a
// "truncated", "claims more than the bytes left" or "outside the data
// section" message), never a crash or an out-of-bounds read.
BOOST_AUTO_TEST_CASE(truncated_anywhere) {
  const raw r = valid_file();
  for (std::size_t n = 0; n < r.b.size(); ++n) {
    const std::vector<char> prefix(r.b.begin(), r.b.begin() + static_cast<std::ptrdiff_t>(n));
    const fs::path p = write(prefix);
    try {
      gguf_file::open(p);
      BOOST_ERROR("a " << n << "-byte prefix of a " << r.b.size() << "-byte file opened");
    } catch (const format_error& e) {
      const std::string msg = e.what();
      BOOST_TEST(msg.find(p.string() + ": ") == 0u, "prefix " << n << ": " << msg);
    }
  }
}

BOOST_AUTO_TEST_CASE(absurd_counts_are_refused_before_allocating) {
  expect_error(raw{}.header(0, std::uint64_t{1} << 60).b, "header claims 1152921504606846976 metadata entries");
  expect_error(raw{}.header(std::uint64_t{1} << 62, 1).kv_u32("k", 1).b, "and 4611686018427387904 tensors");
  expect_error(raw{}.header(0, 1).u64(std::uint64_t{1} << 63).zeros(16).b,
               "truncated: key of metadata entry 0 (9223372036854775808 bytes) at offset 32");
  expect_error(raw{}.header(0, 1).str("s").u32(8).u64(~std::uint64_t{0}).zeros(8).b,
               "truncated: value of 's' (18446744073709551615 bytes)");
  expect_error(raw{}.header(0, 1).str("big").u32(9).u32(10).u64(std::uint64_t{1} << 61).zeros(64).b,
               "metadata array 'big' claims 2305843009213693952 uint64 elements, more than the 64 bytes left");
  expect_error(raw{}.header(0, 1).str("strings").u32(9).u32(8).u64(1000).zeros(64).b,
               "claims 1000 string elements");
  expect_error(raw{}.header(1, 0).u64(std::uint64_t{1} << 40).zeros(32).b, "truncated: name of tensor 0");
}

BOOST_AUTO_TEST_CASE(bad_metadata) {
  expect_error(raw{}.header(0, 1).str("k").u32(13).u32(0).b, "metadata key 'k' has unknown value type 13");
  expect_error(raw{}.header(0, 1).str("a").u32(9).u32(9).u64(1).u32(4).u64(1).u32(7).b,
               "metadata array 'a' holds arrays; nested arrays are not supported");
  expect_error(raw{}.header(0, 1).str("a").u32(9).u32(77).u64(0).b, "metadata array 'a' has unknown element type 77");
  expect_error(raw{}.header(0, 2).kv_u32("k", 1).kv_u32("k", 2).b, "duplicate metadata key 'k'");
  expect_error(raw{}.header(0, 1).kv_u32("", 1).b, "metadata entry 0 has an empty key");
  expect_error(raw{}.header(0, 1).str("b").u32(7).u8(2).b, "value of 'b' at offset 37 is a bool of value 2");
  expect_error(raw{}.header(0, 1).kv_u32("general.alignment", 48).b, "general.alignment is 48, not a power of two");
  expect_error(raw{}.header(0, 1).kv_u32("general.alignment", 0).b, "general.alignment is 0, not a power of two");
  expect_error(raw{}.header(0, 1).str("general.alignment").u32(10).u64(32).b,
               "metadata key 'general.alignment' is uint64, expected uint32");
}

BOOST_AUTO_TEST_CASE(bad_tensor_infos) {
  const auto one_tensor = [](std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    raw r;
    r.header(1, 0).tensor("t", std::move(ne), type, offset).pad(32).zeros(64);
    return r.b;
  };
  expect_error(one_tensor({32}, 21, 0), "tensor 't' has ggml type 21, a tensor type glm4.hpp cannot read");
  expect_error(one_tensor({32}, 5, 0), "tensor 't' has ggml type 5");
  expect_error(one_tensor({1, 1, 1, 1, 1}, 0, 0), "tensor 't' has 5 dimensions, at most 4 allowed");
  expect_error(one_tensor({1 << 20, 1 << 20, 1 << 30}, 0, 0),
               "tensor 't' dimension 2 of 1073741824 overflows the element count");
  expect_error(one_tensor({std::uint64_t{1} << 63}, 0, 0), "dimension 0 of 9223372036854775808 overflows");
  expect_error(one_tensor({48, 2}, 8, 0), "tensor 't' has 48 values per row, not a multiple of q8_0's block of 32");
  expect_error(one_tensor({100, 4}, 12, 0), "100 values per row, not a multiple of q4_k's block of 256");
  expect_error(one_tensor({48, 2}, 7, 0), "tensor 't' has 48 values per row, not a multiple of q5_1's block of 32");
  expect_error(one_tensor({4}, 0, 16), "tensor 't' data offset 16 is not a multiple of the alignment 32");
  expect_error(one_tensor({4}, 0, 64), "tensor 't' data [64, +16) lies outside the data section (64 bytes)");
  expect_error(one_tensor({32, 2}, 0, 0), "tensor 't' data [0, +256) lies outside the data section (64 bytes)");
  expect_error(one_tensor({4}, 0, ~std::uint64_t{0} - 31), "lies outside the data section");
  raw dup;
  dup.header(2, 0).tensor("t", {4}, 0, 0).tensor("t", {4}, 0, 32).pad(32).zeros(64);
  expect_error(dup.b, "duplicate tensor 't'");
  raw far;
  far.header(1, 0).tensor("t", {4}, 0, 0);
  expect_error(far.b, "truncated: the data section would start at offset 64, past the end of the file (57 bytes)");
}

// With general.alignment 1 a tensor may start at an odd offset, which its
// blocks' f16 scales cannot be read from in place.
BOOST_AUTO_TEST_CASE(misaligned_blocks) {
  raw r;
  r.header(1, 1).kv_u32("general.alignment", 1).tensor("t", {32}, 8, 1);
  r.zeros(40);
  expect_error(r.b, "misaligned for q8_0 blocks (need a multiple of 2)");
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_io_error) {
  BOOST_CHECK_THROW(gguf_file::open(tmp.path / "no-such.gguf"), glm4::io_error);
}
