// Broken or unsupported vocabulary files fail loudly, naming the file and
// what is wrong, instead of loading a tokenizer that encodes differently.
#define BOOST_TEST_MODULE tokenizer_bad_files
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "glm4/tokenizer/base64.hpp"
#include "tokenizer/test_data.hpp"

using glm4::tokenizer;
namespace fs = std::filesystem;

namespace {

// A scratch directory for the files each test writes, removed at the end.
struct scratch_dir {
  static fs::path path() {
    return fs::temp_directory_path() / ("glm4_tokenizer_test_" + std::to_string(::getpid()));
  }
  scratch_dir() { fs::create_directories(path()); }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path(), ignored);
  }
};

fs::path scratch(const std::string& name) { return scratch_dir::path() / name; }

fs::path write(const std::string& name, const std::string& contents) {
  const fs::path p = scratch(name);
  std::ofstream(p, std::ios::binary) << contents;
  return p;
}

// A minimal tiktoken file: the 256 bytes at ranks 0..255, then `extra`.
std::string tiktoken_bytes(const std::string& extra = "") {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int b = 0; b < 256; ++b) {
    out += alphabet[b >> 2];
    out += alphabet[(b & 3) << 4];
    out += "== " + std::to_string(b) + "\n";
  }
  return out + extra;
}

// Runs `load` and checks that it throws E with every fragment in its message.
template <class E, class F>
void expect_error(F load, std::initializer_list<std::string> fragments) {
  try {
    load();
    BOOST_ERROR("loading succeeded but should have thrown");
  } catch (const E& e) {
    const std::string message = e.what();
    for (const std::string& f : fragments) {
      BOOST_TEST(message.find(f) != std::string::npos, "\"" << message << "\" should mention \"" << f << "\"");
    }
  }
}

nlohmann::json golden_tokenizer_json() {
  std::ifstream in(glm4::test::tokenizer_data("tokenizer.json"));
  return nlohmann::json::parse(in);
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(scratch_dir);

BOOST_AUTO_TEST_CASE(a_minimal_tiktoken_file_loads) {
  const tokenizer tok = tokenizer::from_tiktoken(write("ok.model", tiktoken_bytes("YWI= 256\n")));
  BOOST_TEST(tok.encode("abab") == (std::vector<std::int32_t>{256, 256}), boost::test_tools::per_element());
  // Specials follow the ranks; padding fills up to 151552 rows.
  BOOST_TEST(tok.piece(257) == "<|endoftext|>");
  BOOST_TEST(tok.vocab_size() == 151552u);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_io_error) {
  expect_error<glm4::io_error>([] { tokenizer::from_tiktoken(scratch("absent.model")); }, {"absent.model"});
  expect_error<glm4::io_error>([] { tokenizer::from_hf_json(scratch("absent.json")); }, {"absent.json"});
}

BOOST_AUTO_TEST_CASE(a_corrupt_tiktoken_line_is_reported_with_its_number) {
  const fs::path bad_base64 = write("bad_base64.model", tiktoken_bytes("YW!= 256\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(bad_base64); },
                                   {"bad_base64.model", "line 257", "base64", "YW!="});
  const fs::path bad_rank = write("bad_rank.model", tiktoken_bytes("YWI= two\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(bad_rank); }, {"line 257", "rank", "two"});
  const fs::path no_rank = write("no_rank.model", tiktoken_bytes("YWI=\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(no_rank); }, {"line 257"});
}

BOOST_AUTO_TEST_CASE(tiktoken_ranks_must_be_the_ids) {
  const fs::path repeated = write("repeated.model", tiktoken_bytes("YWI= 255\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(repeated); }, {"rank 255", "repeated"});
  const fs::path gap = write("gap.model", tiktoken_bytes("YWI= 300\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(gap); }, {"rank 300", "out of range"});
  const fs::path same_bytes = write("same_bytes.model", tiktoken_bytes("YQ== 256\n"));
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(same_bytes); }, {"token 256", "token 97"});
}

BOOST_AUTO_TEST_CASE(a_vocabulary_must_cover_every_byte) {
  std::string without_ff = tiktoken_bytes();
  without_ff.resize(without_ff.rfind("/w== 255"));
  const fs::path p = write("no_ff.model", without_ff);
  expect_error<glm4::format_error>([&] { tokenizer::from_tiktoken(p); }, {"byte 0xff"});
  expect_error<glm4::format_error>([] { tokenizer::from_tiktoken(write("empty.model", "")); }, {"no tokens"});
}

BOOST_AUTO_TEST_CASE(bad_json_is_a_format_error) {
  const fs::path p = write("truncated.json", R"({"model": {"type": "BPE", "vocab": {)");
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(p); }, {"truncated.json", "JSON"});
  const fs::path no_model = write("no_model.json", R"({"added_tokens": []})");
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(no_model); }, {"no_model.json", "model"});
}

BOOST_AUTO_TEST_CASE(a_tokenizer_json_with_another_pre_tokenizer_is_refused) {
  nlohmann::json j = golden_tokenizer_json();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  const fs::path gpt2 = write("gpt2.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(gpt2); }, {"gpt2.json", "pre_tokenizer"});
  j = golden_tokenizer_json();
  j["normalizer"] = {{"type", "NFC"}};
  const fs::path nfc = write("nfc.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(nfc); }, {"normalizer", "NFC"});
}

BOOST_AUTO_TEST_CASE(a_merge_outside_the_vocabulary_is_refused) {
  nlohmann::json j = golden_tokenizer_json();
  j["model"]["merges"].push_back({"\xC4\xA0q", "zz"});
  const fs::path p = write("bad_merge.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(p); }, {"bad_merge.json", "merge 736"});
  j = golden_tokenizer_json();
  j["model"]["vocab"]["\x01"] = 5000;  // not in the byte-level alphabet
  const fs::path spelled = write("bad_spelling.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(spelled); }, {"token 5000", "byte-level"});
}

// An id sizes the vocabulary table: one past what a tokenizer can hold is
// refused before anything is allocated (2147483647 would be 64 GB of
// empty strings).
BOOST_AUTO_TEST_CASE(a_tokenizer_json_id_too_large_is_refused_before_allocating) {
  nlohmann::json j = golden_tokenizer_json();
  j["model"]["vocab"]["\xC4\xA0zz"] = 2147483647;
  const fs::path huge = write("huge_id.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(huge); },
                                   {"huge_id.json", "model.vocab", "2147483647", "0..2097151"});
  j = golden_tokenizer_json();
  j["model"]["vocab"]["\xC4\xA0zz"] = 4.0e9;
  const fs::path fractional = write("float_id.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(fractional); },
                                   {"float_id.json", "model.vocab", "4000000000.0", "not an integer"});
  j = golden_tokenizer_json();
  j["added_tokens"].push_back({{"id", 2097152}, {"content", "<|huge|>"}, {"special", true}});
  const fs::path added = write("huge_added.json", j.dump());
  expect_error<glm4::format_error>([&] { tokenizer::from_hf_json(added); },
                                   {"huge_added.json", "added_tokens", "<|huge|>", "2097152", "0..2097151"});
}

BOOST_AUTO_TEST_CASE(a_gguf_vocabulary_is_checked) {
  tokenizer::vocab_spec spec;
  spec.pre = "gpt-2";
  expect_error<glm4::format_error>([&] { tokenizer::from_vocab(spec); }, {"tokenizer.ggml.pre", "gpt-2"});
  spec.pre = "chatglm-bpe";
  spec.tokens = {"a", "b"};
  spec.token_types = {1};
  expect_error<glm4::format_error>([&] { tokenizer::from_vocab(spec); }, {"token_type", "1", "2"});
  spec.token_types = {1, 6};
  expect_error<glm4::format_error>([&] { tokenizer::from_vocab(spec); }, {"token 1", "type 6"});
}

BOOST_AUTO_TEST_CASE(base64_is_strict) {
  using glm4::base64::decode;
  BOOST_TEST(decode("IQ==").value_or("?") == "!");
  BOOST_TEST(decode("YWI=").value_or("?") == "ab");
  BOOST_TEST(decode("YWJj").value_or("?") == "abc");
  BOOST_TEST(decode("INC90LXRgdC+0LLQtdGA0YjQtdC9").value_or("?") ==
             "\x20\xD0\xBD\xD0\xB5\xD1\x81\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x80\xD1\x88\xD0\xB5\xD0\xBD");
  BOOST_TEST(!decode("").has_value());
  BOOST_TEST(!decode("IQ=").has_value());    // not a multiple of 4
  BOOST_TEST(!decode("IR==").has_value());   // non-zero bits after the last byte
  BOOST_TEST(!decode("I===").has_value());
  BOOST_TEST(!decode("IQ==IQ==").has_value());  // padding in the middle
  BOOST_TEST(!decode("I-Q=").has_value());
}
