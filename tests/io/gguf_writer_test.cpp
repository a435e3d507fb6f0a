// gguf_writer output read back by gguf_file: every metadata type, tensors of
// several formats at the default and a custom alignment, and the writer's
// own argument checks.
#define BOOST_TEST_MODULE io_gguf_writer
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include "glm4/io/gguf.hpp"
#include "glm4/io/gguf_writer.hpp"
#include "glm4/quant/formats.hpp"

namespace fs = std::filesystem;
namespace q = glm4::quant;
using glm4::io::gguf_array;
using glm4::io::gguf_file;
using glm4::io::gguf_writer;

namespace {

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("glm4_gguf_writer_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};
const temp_dir tmp;

std::vector<std::byte> as_bytes(const void* p, std::size_t n) {
  std::vector<std::byte> b(n);
  std::memcpy(b.data(), p, n);
  return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(metadata_of_every_type_round_trips) {
  gguf_writer w;
  w.set("u8", std::uint8_t{200});
  w.set("i8", std::int8_t{-100});
  w.set("u16", std::uint16_t{60000});
  w.set("i16", std::int16_t{-30000});
  w.set("u32", std::uint32_t{4000000000u});
  w.set("i32", std::int32_t{-2000000000});
  w.set("f32", 1e-5f);
  w.set("bool", true);
  w.set("string", std::string("chatglm-bpe"));
  w.set("u64", std::uint64_t{1} << 40);
  w.set("i64", std::int64_t{-1} << 40);
  w.set("f64", 0.1);
  w.set_array("strings", std::vector<std::string>{"Ġ Ġ", "", "你好"});
  w.set_array("i32s", std::vector<std::int32_t>{1, -2, 3});
  w.set_array("bools", std::vector<bool>{true, false, true});
  w.set_array("f64s", std::vector<double>{});
  w.set("u32", std::uint32_t{7});  // replaces, keeps its place
  const fs::path p = tmp.path / "meta.gguf";
  w.write(p);

  const auto f = gguf_file::open(p);
  BOOST_TEST(f->version() == 3u);
  BOOST_TEST(f->tensors().empty());
  BOOST_TEST(f->metadata().size() == 16u);
  BOOST_TEST(f->metadata()[4].key == "u32");
  BOOST_TEST(f->get<std::uint8_t>("u8") == 200);
  BOOST_TEST(f->get<std::int8_t>("i8") == -100);
  BOOST_TEST(f->get<std::uint16_t>("u16") == 60000);
  BOOST_TEST(f->get<std::int16_t>("i16") == -30000);
  BOOST_TEST(f->get<std::uint32_t>("u32") == 7u);
  BOOST_TEST(f->get<std::int32_t>("i32") == -2000000000);
  BOOST_TEST(f->get<float>("f32") == 1e-5f);
  BOOST_TEST(f->get<bool>("bool"));
  BOOST_TEST(f->get<std::string>("string") == "chatglm-bpe");
  BOOST_TEST(f->get<std::uint64_t>("u64") == std::uint64_t{1} << 40);
  BOOST_TEST(f->get<std::int64_t>("i64") == std::int64_t{-1} << 40);
  BOOST_TEST(f->get<double>("f64") == 0.1);
  BOOST_TEST((f->get_array<std::string>("strings") == std::vector<std::string>{"Ġ Ġ", "", "你好"}));
  BOOST_TEST((f->get_array<std::int32_t>("i32s") == std::vector<std::int32_t>{1, -2, 3}));
  BOOST_TEST((f->get_array<bool>("bools") == std::vector<bool>{true, false, true}));
  BOOST_TEST(f->get_array<double>("f64s").empty());
  BOOST_TEST(glm4::io::describe_type(*f->find("strings")) == "array of string");
}

BOOST_AUTO_TEST_CASE(tensors_round_trip_aligned) {
  for (std::uint32_t alignment : {32u, 64u, 256u}) {
    std::vector<float> f32s(3 * 5);
    std::iota(f32s.begin(), f32s.end(), -7.0f);
    std::vector<float> x(2 * 256);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
    std::vector<q::q8_0::block> q8(x.size() / 32);
    q::q8_0::quantize(x.data(), q8.data(), x.size());
    const auto f32_bytes = as_bytes(f32s.data(), f32s.size() * 4);
    const auto q8_bytes = as_bytes(q8.data(), q8.size() * sizeof(q8[0]));

    gguf_writer w(alignment);
    w.set("general.architecture", std::string("glm4"));
    w.add_tensor("a", q::ggml_type::f32, {3, 5}, f32_bytes);
    w.add_tensor("b", q::ggml_type::q8_0, {2, 256}, q8_bytes);
    w.add_tensor("c", q::ggml_type::q4_k, {2, 256}, [&](std::span<std::byte> out) {
      BOOST_TEST(out.size() == 2 * sizeof(q::q4_k::block));
      q::q4_k::quantize(x.data(), reinterpret_cast<q::q4_k::block*>(out.data()), x.size());
    });
    w.add_tensor("scalar", q::ggml_type::f32, {}, std::span(f32_bytes).first(4));
    const fs::path p = tmp.path / ("tensors" + std::to_string(alignment) + ".gguf");
    w.write(p);

    const auto f = gguf_file::open(p);
    BOOST_TEST(f->alignment() == alignment);
    BOOST_TEST(f->contains("general.alignment") == (alignment != 32));
    BOOST_TEST(f->data_offset() % alignment == 0u);
    const auto* a = f->find_tensor("a");
    const auto* b = f->find_tensor("b");
    const auto* c = f->find_tensor("c");
    const auto* s = f->find_tensor("scalar");
    BOOST_REQUIRE(a && b && c && s);
    BOOST_TEST((a->ne == std::vector<std::int64_t>{5, 3}));
    BOOST_TEST((a->shape() == std::vector<std::int64_t>{3, 5}));
    BOOST_TEST(std::memcmp(a->bytes.data(), f32_bytes.data(), f32_bytes.size()) == 0);
    BOOST_TEST((b->type == q::ggml_type::q8_0));
    BOOST_TEST(std::memcmp(b->bytes.data(), q8_bytes.data(), q8_bytes.size()) == 0);
    std::vector<float> back(x.size());
    q::dequantize(c->type, c->bytes, back.data(), back.size());
    for (std::size_t i = 0; i < x.size(); ++i) BOOST_TEST_REQUIRE(std::fabs(back[i] - x[i]) < 0.1f);
    BOOST_TEST(s->ne.empty());
    BOOST_TEST(s->elements() == 1);
    for (const auto& t : f->tensors()) BOOST_TEST(t.offset % alignment == 0u);
  }
}

// A q5_1 tensor (ggml type 7) as llama-quantize writes GLM-4-9B's ffn_down
// into Q5_K files (rows of 13696 values, not whole q5_k super-blocks) reads
// back in place: type, shape, bytes, and its values through the runtime
// decoder.
BOOST_AUTO_TEST_CASE(q5_1_tensor_round_trips) {
  const std::size_t rows = 2, cols = 13696;
  std::vector<float> x(rows * cols);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.02f * std::sin(0.11f * static_cast<float>(i));
  std::vector<q::q5_1::block> blocks(x.size() / 32);
  q::q5_1::quantize(x.data(), blocks.data(), x.size());
  const auto bytes = as_bytes(blocks.data(), blocks.size() * sizeof(blocks[0]));
  gguf_writer w;
  w.add_tensor("blk.0.ffn_down.weight", q::ggml_type::q5_1, {rows, cols}, bytes);
  const fs::path p = tmp.path / "q5_1.gguf";
  w.write(p);

  const auto f = gguf_file::open(p);
  const auto* t = f->find_tensor("blk.0.ffn_down.weight");
  BOOST_REQUIRE(t);
  BOOST_TEST(static_cast<std::uint32_t>(t->type) == 7u);
  BOOST_TEST((t->shape() == std::vector<std::int64_t>{2, 13696}));
  BOOST_TEST(t->bytes.size() == rows * cols / 32 * 24);
  BOOST_TEST(std::memcmp(t->bytes.data(), bytes.data(), bytes.size()) == 0);
  std::vector<float> back(x.size()), direct(x.size());
  q::dequantize(t->type, t->bytes, back.data(), back.size());
  q::q5_1::dequantize(blocks.data(), direct.data(), direct.size());
  BOOST_TEST(back == direct, boost::test_tools::per_element());
  // half a step of at most 0.04 / 31, and the f16 rounding of d and m
  for (std::size_t i = 0; i < x.size(); ++i) BOOST_TEST_REQUIRE(std::fabs(back[i] - x[i]) < 0.7e-3f);
}

BOOST_AUTO_TEST_CASE(writer_rejects_bad_arguments) {
  gguf_writer w;
  const std::vector<std::byte> bytes(34);
  BOOST_CHECK_THROW(gguf_writer(24), glm4::invalid_argument);
  BOOST_CHECK_THROW(w.set("general.alignment", std::uint32_t{64}), glm4::invalid_argument);
  BOOST_CHECK_THROW(w.set("", std::uint32_t{1}), glm4::invalid_argument);
  w.add_tensor("t", q::ggml_type::q8_0, {1, 32}, bytes);
  BOOST_CHECK_THROW(w.add_tensor("t", q::ggml_type::q8_0, {1, 32}, bytes), glm4::invalid_argument);
  try {
    w.add_tensor("u", q::ggml_type::q8_0, {2, 32}, bytes);
    BOOST_ERROR("size mismatch accepted");
  } catch (const glm4::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "tensor 'u' has 34 bytes, its shape as q8_0 needs 68");
  }
  try {
    w.add_tensor("v", q::ggml_type::q4_k, {2, 128}, bytes);
    BOOST_ERROR("partial block accepted");
  } catch (const glm4::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "tensor 'v' has rows of 128 values, not a multiple of q4_k's block of 256");
  }
  BOOST_CHECK_THROW(w.add_tensor("w", static_cast<q::ggml_type>(23), {32}, bytes), glm4::invalid_argument);
  BOOST_CHECK_THROW(w.add_tensor("x", q::ggml_type::f32, {1, 1, 1, 1, 1}, bytes), glm4::invalid_argument);
  BOOST_CHECK_THROW(w.write(tmp.path / "no-such-dir" / "f.gguf"), glm4::io_error);
}

// A write the system refuses (here /dev/full: ENOSPC, as a full disk) is an
// io_error naming the file and the reason at once: the tensors after it are
// never converted.
BOOST_AUTO_TEST_CASE(a_full_disk_stops_the_writer_at_the_first_failed_write) {
  if (!fs::exists("/dev/full")) return;  // not Linux
  gguf_writer w;
  int filled = 0;
  const auto fill = [&](std::span<std::byte> out) {
    ++filled;
    std::memset(out.data(), 0, out.size());
  };
  for (const char* name : {"a", "b", "c"}) w.add_tensor(name, q::ggml_type::f32, {1024, 1024}, fill);  // 4 MiB each
  try {
    w.write("/dev/full");
    BOOST_ERROR("writing to /dev/full succeeded");
  } catch (const glm4::io_error& e) {
    BOOST_TEST(std::string(e.what()).find("cannot write /dev/full: " + std::string(std::strerror(ENOSPC))) == 0,
               e.what());
  }
  BOOST_TEST(filled == 1);
}
