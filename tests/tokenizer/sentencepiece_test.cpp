// SentencePiece models and GLM-130B's icetk wrapper, held to what
// SentencePiece 0.1.97 itself does. The models and references in
// tests/data/tokenizer/sentencepiece come from scripts/make_sentencepiece_fixture.sh:
// spm_encode's ids and pieces and spm_decode's text for every line of
// cases.txt (NFKC-affected characters, whitespace of every kind, emoji,
// characters no model knows, long lines) and bytes.txt (invalid UTF-8 and
// control characters), and SwissArmyTransformer's GLM130BTokenizer replayed
// with the Python binding for icetk.
#define BOOST_TEST_MODULE tokenizer_sentencepiece
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glm4/tokenizer/icetk.hpp"
#include "glm4/tokenizer/sentencepiece.hpp"
#include "glm4/tokenizer/sentencepiece_model.hpp"
#include "tokenizer/test_data.hpp"

using glm4::icetk_options;
using glm4::icetk_tokenizer;
using glm4::sentencepiece_model;
using glm4::sentencepiece_tokenizer;
using ids = std::vector<std::int32_t>;
namespace fs = std::filesystem;

namespace {

fs::path fixture(const std::string& name) { return glm4::test::tokenizer_data("sentencepiece/" + name); }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot open " << path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Lines as spm_encode reads them: split at '\n' only.
std::vector<std::string> read_lines(const fs::path& path) {
  const std::string text = read_bytes(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

// spm_encode joins pieces with ' ' (a piece holds no space: it is U+2581 by
// then), but a piece may hold a tab or a carriage return.
std::vector<std::string> split_spaces(const std::string& line) {
  std::vector<std::string> words;
  for (std::size_t start = 0; start < line.size();) {
    std::size_t end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    words.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

ids parse_ids(const std::string& line) {
  ids out;
  for (const std::string& w : split_spaces(line)) out.push_back(std::stoi(w));
  return out;
}

const std::vector<std::string> models = {"unigram_nfkc",  "bpe_rules",   "unigram_user_defined",
                                         "ice_text_like", "char_suffix", "word"};

const sentencepiece_tokenizer& model(const std::string& name) {
  static std::map<std::string, sentencepiece_tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, sentencepiece_tokenizer::open(fixture(name + ".model"))).first;
  return it->second;
}

// The lead's GLM-130B test fixture is shaped like unigram_user_defined: its
// model carries <n>, <|tab|> and the blanks, text ids start at 0, and the
// commands follow the text vocabulary.
icetk_options fixture_options() {
  icetk_options o;
  o.text_offset = 0;
  o.commands = {{"[MASK]", 1000}, {"[gMASK]", 1001}, {"sop", 1002}, {"eos", 1003}};
  o.add_glm130b_pieces = false;
  return o;
}

// Protobuf wire format, for hand-made and damaged models.
std::string varint(std::uint64_t v) {
  std::string out;
  do {
    out += static_cast<char>((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  return out;
}
std::string tag(int field, int wire_type) { return varint(static_cast<std::uint64_t>(field) << 3 | wire_type); }
std::string length_delimited(int field, const std::string& bytes) {
  return tag(field, 2) + varint(bytes.size()) + bytes;
}
std::string fixed32(int field, float value) {
  std::string out = tag(field, 5);
  char raw[4];
  std::memcpy(raw, &value, 4);
  return out + std::string(raw, 4);
}
std::string piece(const std::string& text, float score, int type = 1) {
  return length_delimited(1, length_delimited(1, text) + fixed32(2, score) + tag(3, 0) + varint(type));
}
std::string trainer_spec(int model_type, bool byte_fallback = false) {
  return length_delimited(2, tag(3, 0) + varint(model_type) + tag(35, 0) + varint(byte_fallback ? 1 : 0));
}
// No charsmap, no dummy prefix: what is typed is what is segmented.
std::string plain_normalizer() { return length_delimited(3, length_delimited(1, "identity") + tag(3, 0) + varint(0)); }

template <class E, class F>
void expect_error(F run, std::initializer_list<std::string> fragments) {
  try {
    run();
    BOOST_ERROR("no exception, expected one mentioning " << *fragments.begin());
  } catch (const E& e) {
    const std::string message = e.what();
    for (const std::string& f : fragments) {
      BOOST_TEST(message.find(f) != std::string::npos, "\"" << message << "\" should mention \"" << f << "\"");
    }
  }
}

sentencepiece_tokenizer from_bytes(const std::string& bytes) {
  return sentencepiece_tokenizer(sentencepiece_model::parse(bytes, "hand-made.model"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_model_encodes_every_line_as_spm_encode_does) {
  for (const std::string& name : models) {
    const sentencepiece_tokenizer& sp = model(name);
    for (const std::string input : {"cases", "bytes"}) {
      const auto lines = read_lines(fixture(input + ".txt"));
      const auto expected_ids = read_lines(fixture("reference/" + name + "." + input + ".ids"));
      const auto expected_pieces = read_lines(fixture("reference/" + name + "." + input + ".pieces"));
      BOOST_TEST_REQUIRE(expected_ids.size() == lines.size());
      BOOST_TEST_REQUIRE(expected_pieces.size() == lines.size());
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string where = name + ".model, " + input + ".txt line " + std::to_string(i + 1);
        BOOST_TEST(sp.encode(lines[i]) == parse_ids(expected_ids[i]), where << ": ids differ");
        BOOST_TEST(sp.encode_pieces(lines[i]) == split_spaces(expected_pieces[i]), where << ": pieces differ");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(decoding_the_ids_gives_what_spm_decode_gives) {
  for (const std::string& name : models) {
    const sentencepiece_tokenizer& sp = model(name);
    for (const std::string input : {"cases", "bytes"}) {
      const auto expected_ids = read_lines(fixture("reference/" + name + "." + input + ".ids"));
      const auto expected_text = read_lines(fixture("reference/" + name + "." + input + ".decoded"));
      BOOST_TEST_REQUIRE(expected_text.size() == expected_ids.size());
      for (std::size_t i = 0; i < expected_ids.size(); ++i) {
        const ids line_ids = parse_ids(expected_ids[i]);
        BOOST_TEST(sp.decode(line_ids) == expected_text[i],
                   name << ".model, " << input << ".txt line " << i + 1 << ": decoded differently");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_model_fields_are_read) {
  const sentencepiece_model& nfkc = model("unigram_nfkc").model();
  BOOST_TEST(nfkc.pieces.size() == 700u);
  BOOST_TEST((nfkc.model_type == sentencepiece_model::algorithm::unigram));
  BOOST_TEST(nfkc.byte_fallback);
  BOOST_TEST(nfkc.normalizer.name == "nmt_nfkc");
  BOOST_TEST(!nfkc.normalizer.precompiled_charsmap.empty());
  BOOST_TEST(!nfkc.denormalizer.has_value());
  const sentencepiece_tokenizer& sp = model("unigram_nfkc");
  BOOST_TEST(sp.unk_id() == 0);
  BOOST_TEST(sp.bos_id() == 1);
  BOOST_TEST(sp.eos_id() == 2);
  BOOST_TEST(sp.pad_id() == -1);
  BOOST_TEST(sp.piece_of(3) == "<0x00>");
  BOOST_TEST(sp.id_of("<0xFF>") == 258);
  BOOST_TEST(sp.id_of("no such piece") == sp.unk_id());
  BOOST_TEST(!sp.find("no such piece").has_value());
  BOOST_TEST(sp.is_byte(3));
  BOOST_TEST(sp.is_control(1));

  const sentencepiece_model& bpe = model("bpe_rules").model();
  BOOST_TEST((bpe.model_type == sentencepiece_model::algorithm::bpe));
  BOOST_TEST(!bpe.normalizer.remove_extra_whitespaces);
  BOOST_TEST(bpe.denormalizer.has_value());
  BOOST_TEST(model("char_suffix").model().treat_whitespace_as_suffix);
  BOOST_TEST(!model("word").model().normalizer.add_dummy_prefix);
  BOOST_TEST(model("unigram_user_defined").is_control(model("unigram_user_defined").id_of("[gMASK]")));
}

BOOST_AUTO_TEST_CASE(ids_outside_the_model_are_refused) {
  const sentencepiece_tokenizer& sp = model("bpe_rules");
  expect_error<glm4::invalid_argument>([&] { (void)sp.piece_of(450); }, {"bpe_rules.model", "450"});
  expect_error<glm4::invalid_argument>([&] { (void)sp.decode(ids{5, -1}); }, {"-1"});
}

BOOST_AUTO_TEST_CASE(bpe_merges_the_best_scoring_piece_first_and_the_leftmost_on_ties) {
  const std::string bytes = piece("<unk>", 0, 2) + piece("a", -1) + piece("b", -1) + piece("aa", -3) + piece("ab", -2) +
                            trainer_spec(2) + plain_normalizer();
  const sentencepiece_tokenizer sp = from_bytes(bytes);
  // "ab" (-2) beats "aa" (-3), though "aa" comes first in the text.
  BOOST_TEST(sp.encode_pieces("aab") == (std::vector<std::string>{"a", "ab"}), boost::test_tools::per_element());
  // Two "aa" pairs tie: the leftmost merges.
  BOOST_TEST(sp.encode_pieces("aaa") == (std::vector<std::string>{"aa", "a"}), boost::test_tools::per_element());
  // A run of unknown characters is one <unk>.
  BOOST_TEST(sp.encode("xyzab") == (ids{0, 4}), boost::test_tools::per_element());
  BOOST_TEST(sp.decode(ids{0, 4}) == " \xE2\x81\x87 ab");
}

BOOST_AUTO_TEST_CASE(a_unigram_model_takes_the_best_scoring_path) {
  const std::string bytes = piece("<unk>", 0, 2) + piece("a", -1) + piece("b", -1) + piece("ab", -3) +
                            piece("abab", -1.5f) + trainer_spec(1) + plain_normalizer();
  const sentencepiece_tokenizer sp = from_bytes(bytes);
  BOOST_TEST(sp.encode_pieces("ab") == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(sp.encode_pieces("abab") == (std::vector<std::string>{"abab"}), boost::test_tools::per_element());
  BOOST_TEST(sp.encode_pieces("ababa") == (std::vector<std::string>{"abab", "a"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(appended_fields_merge_as_protobuf_does) {
  // GLM-130B's tooling appends pieces and sets trainer_spec.byte_fallback on
  // a loaded ice_text.model; serialized, that is the same fields appended.
  std::string bytes = read_bytes(fixture("bpe_rules.model"));
  bytes += piece("<|tab|>", 0, 4);
  bytes += length_delimited(2, tag(35, 0) + varint(1));
  for (int b = 0; b < 256; ++b) {
    static constexpr char hex[] = "0123456789ABCDEF";
    bytes += piece(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">", 0, 6);
  }
  const sentencepiece_tokenizer sp = from_bytes(bytes);
  BOOST_TEST(sp.size() == 450u + 1 + 256);
  BOOST_TEST((sp.model().model_type == sentencepiece_model::algorithm::bpe));  // kept from the first trainer_spec
  BOOST_TEST(sp.model().byte_fallback);
  BOOST_TEST(sp.id_of("<|tab|>") == 450);
  // An unknown character now falls back to bytes: "☃" is E2 98 83.
  const ids snowman = sp.encode("\xE2\x98\x83");
  BOOST_TEST(snowman.size() >= 3u);
  BOOST_TEST(sp.decode(snowman) == "\xE2\x98\x83");
}

BOOST_AUTO_TEST_CASE(unknown_fields_of_every_wire_type_are_skipped) {
  const std::string unknown = tag(90, 0) + varint(123456789) + tag(91, 1) + std::string(8, '\x7F') +
                              length_delimited(92, "ignored") + tag(93, 5) + std::string(4, '\x01') + tag(94, 3) +
                              tag(1, 0) + varint(1) + tag(95, 3) + tag(2, 2) + varint(0) + tag(95, 4) + tag(94, 4);
  const std::string bytes = unknown +
                            length_delimited(1, unknown + length_delimited(1, "<unk>") + tag(3, 0) + varint(2)) +
                            piece("a", -1) + length_delimited(2, unknown + tag(3, 0) + varint(1)) +
                            length_delimited(3, unknown + tag(3, 0) + varint(0)) + length_delimited(4, unknown);
  const sentencepiece_tokenizer sp = from_bytes(bytes);
  BOOST_TEST(sp.size() == 2u);
  BOOST_TEST(sp.encode("aa") == (ids{1, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_empty_file_is_a_format_error) {
  const fs::path empty = fs::temp_directory_path() / "glm4_sentencepiece_empty.model";
  std::ofstream(empty, std::ios::binary).close();
  expect_error<glm4::format_error>([&] { sentencepiece_tokenizer::open(empty); },
                                   {"glm4_sentencepiece_empty.model", "empty"});
  fs::remove(empty);
  expect_error<glm4::io_error>([] { sentencepiece_tokenizer::open(fixture("absent.model")); }, {"absent.model"});
}

BOOST_AUTO_TEST_CASE(a_truncated_file_is_a_format_error_or_a_smaller_model) {
  const std::string whole = read_bytes(fixture("unigram_user_defined.model"));
  // Cut inside a field: the enclosing length no longer fits.
  for (const std::size_t cut : {std::size_t{1}, std::size_t{2}, std::size_t{5}, whole.size() / 2, whole.size() - 1}) {
    expect_error<glm4::format_error>([&] { sentencepiece_model::parse(whole.substr(0, cut), "cut.model"); },
                                     {"cut.model", "offset"});
  }
  // At a field boundary protobuf cannot tell: the pieces before the cut are
  // a model. Either way, no other outcome than a model or a format_error.
  int loaded = 0;
  for (std::size_t cut = 0; cut < whole.size(); cut += 7) {
    try {
      const sentencepiece_tokenizer sp = from_bytes(whole.substr(0, cut));
      (void)sp.encode("a test  \t<n>");
      ++loaded;
    } catch (const glm4::format_error&) {
    }
  }
  BOOST_TEST(loaded > 0);
}

BOOST_AUTO_TEST_CASE(lying_lengths_and_bad_tags_are_format_errors) {
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(1, 2) + varint(1u << 30) + "x", "lie.model"); },
                                   {"lie.model", "offset 0", "1073741824"});
  // A piece whose inner length overruns its own message, though not the file.
  const std::string inner_lie = length_delimited(1, tag(1, 2) + varint(40) + "abc") + std::string(64, '\0');
  expect_error<glm4::format_error>([&] { sentencepiece_model::parse(inner_lie, "inner.model"); },
                                   {"inner.model", "offset 2", "40"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(1, 7), "wire.model"); }, {"wire type 7"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(0, 0) + varint(1), "zero.model"); },
                                   {"field number 0"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(std::string(11, '\xFF'), "long.model"); },
                                   {"varint"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(9, 3) + tag(8, 4), "group.model"); },
                                   {"group end"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(9, 4), "end.model"); }, {"group end"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(1, 0) + varint(5), "type.model"); },
                                   {"ModelProto.pieces", "wire type 0"});
  expect_error<glm4::format_error>([] { sentencepiece_model::parse(tag(9, 5) + "ab", "fixed.model"); },
                                   {"32-bit", "cut off"});
}

BOOST_AUTO_TEST_CASE(a_bad_piece_table_is_a_format_error) {
  expect_error<glm4::format_error>(
      [] { sentencepiece_model::parse(piece("<unk>", 0, 2) + piece("a", 0, 9), "type.model"); },
      {"type.model", "piece 1", "type 9"});
  expect_error<glm4::format_error>([] { from_bytes(piece("a", 0) + trainer_spec(1)); }, {"no unknown"});
  expect_error<glm4::format_error>([] { from_bytes(piece("<unk>", 0, 2) + piece("<u>", 0, 2)); },
                                   {"piece 1", "second unknown"});
  expect_error<glm4::format_error>([] { from_bytes(piece("<unk>", 0, 2) + piece("a", 0) + piece("a", -1)); },
                                   {"piece 2", "repeats piece 1"});
  expect_error<glm4::format_error>([] { from_bytes(piece("<unk>", 0, 2) + piece("", 0)); }, {"piece 1", "empty"});
  expect_error<glm4::format_error>([] { from_bytes(piece("<unk>", 0, 2) + piece("a", 0) + piece("<0x41>", 0, 6)); },
                                   {"piece 2", "byte_fallback is off"});
  expect_error<glm4::format_error>(
      [] { from_bytes(piece("<unk>", 0, 2) + piece("a", 0) + piece("<0x41>", 0, 6) + trainer_spec(1, true)); },
      {"byte_fallback", "<0x00>"});
  expect_error<glm4::format_error>(
      [] { from_bytes(piece("<unk>", 0, 2) + piece("a", 0) + piece("<0xG1>", 0, 6) + trainer_spec(1, true)); },
      {"piece 2", "<0xNN>"});
  expect_error<glm4::format_error>(
      [] { sentencepiece_model::parse(piece("<unk>", 0, 2) + trainer_spec(7), "m.model"); }, {"model_type 7"});
}

BOOST_AUTO_TEST_CASE(a_broken_charsmap_is_a_format_error) {
  const std::string pieces = piece("<unk>", 0, 2) + piece("a", -1) + trainer_spec(1);
  const auto with_charsmap = [&](const std::string& blob) {
    return pieces + length_delimited(3, length_delimited(2, blob));
  };
  expect_error<glm4::format_error>([&] { from_bytes(with_charsmap(std::string("\x64\0\0\0abcd", 8))); },
                                   {"hand-made.model", "precompiled_charsmap", "100"});
  expect_error<glm4::format_error>([&] { from_bytes(with_charsmap("\x01\x02")); }, {"precompiled_charsmap"});
  // A root whose child for 'a' has a leaf pointing past the replacements.
  // Root offset 1: child 'a' at 1 ^ 'a' = 96, labelled 'a', has-leaf, offset
  // 1, so its value unit is 96 ^ 1 = 97 = 200 (past the 4 bytes "xyz\0").
  std::vector<std::uint32_t> units(128, 0);
  units[0] = 1u << 10;
  units[96] = (1u << 10) | (1u << 8) | 'a';
  units[97] = 0x80000000u | 200;
  std::string blob(4, '\0');
  const std::uint32_t size = static_cast<std::uint32_t>(units.size() * 4);
  std::memcpy(blob.data(), &size, 4);
  blob.append(reinterpret_cast<const char*>(units.data()), units.size() * 4);
  blob += std::string("xyz\0", 4);
  const sentencepiece_tokenizer sp = from_bytes(with_charsmap(blob));
  BOOST_TEST(sp.encode("b") == (ids{0}), boost::test_tools::per_element());
  expect_error<glm4::format_error>([&] { (void)sp.encode("a"); }, {"precompiled_charsmap", "200"});
  // The same rule with a good value (0): "a" normalizes to "xyz".
  units[97] = 0x80000000u;
  std::memcpy(blob.data() + 4, units.data(), units.size() * 4);
  BOOST_TEST(from_bytes(with_charsmap(blob)).normalize("ba") ==
             "\xE2\x96\x81"
             "bxyz");
}

BOOST_AUTO_TEST_CASE(damaged_models_load_or_fail_cleanly) {
  // Random byte changes: every outcome is a model or a glm4::error.
  const std::string whole = read_bytes(fixture("bpe_rules.model"));
  std::mt19937 rng(7);
  int loaded = 0;
  for (int round = 0; round < 300; ++round) {
    std::string damaged = whole;
    for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    try {
      const sentencepiece_tokenizer sp = from_bytes(damaged);
      (void)sp.decode(sp.encode("Hello,  world... 灯塔 \xFF ﬁ"));
      ++loaded;
    } catch (const glm4::error&) {
    }
  }
  BOOST_TEST_MESSAGE(loaded << " of 300 damaged models loaded");
}

namespace {
// Every line of a reference/icetk_*.jsonl: the ids SAT's GLM130BTokenizer
// gives the text, and the text it decodes them to.
void check_icetk_reference(const icetk_tokenizer& tok, const std::string& name) {
  std::ifstream in(fixture("reference/" + name));
  int line = 0;
  for (std::string json; std::getline(in, json);) {
    ++line;
    const nlohmann::json j = nlohmann::json::parse(json);
    const std::string text = j.at("text").get<std::string>();
    const ids expected = j.at("ids").get<ids>();
    BOOST_TEST(tok.encode(text) == expected, name << " line " << line << ": \"" << text.substr(0, 60) << "\"");
    BOOST_TEST(tok.decode(expected) == j.at("decoded").get<std::string>(), name << " line " << line);
  }
  BOOST_TEST(line > 60);
}
}  // namespace

BOOST_AUTO_TEST_CASE(icetk_encodes_as_glm130b_tokenizer_does) {
  // ice_text_like.model as GLM-130B configures ice_text.model: the default options.
  check_icetk_reference(icetk_tokenizer::open(fixture("ice_text_like.model")), "icetk_glm130b.jsonl");
}

BOOST_AUTO_TEST_CASE(icetk_on_a_model_that_carries_its_pieces) {
  check_icetk_reference(icetk_tokenizer::open(fixture("unigram_user_defined.model"), fixture_options()),
                        "icetk_user_defined.jsonl");
}

BOOST_AUTO_TEST_CASE(icetk_adds_glm130b_pieces_after_the_model) {
  const icetk_tokenizer tok = icetk_tokenizer::open(fixture("ice_text_like.model"));
  const sentencepiece_tokenizer& sp = tok.text_tokenizer();
  // 420 pieces, then 8 controls, <|tab|>, <|blank_2..80|>, 256 bytes.
  BOOST_TEST(sp.size() == 420u + 8 + 1 + 79 + 256);
  BOOST_TEST(sp.id_of("[MASK]") == 420);
  BOOST_TEST(sp.is_control(sp.id_of("<dBLOCK>")));
  BOOST_TEST(sp.id_of("<|tab|>") == 428);
  BOOST_TEST(sp.id_of("<|blank_2|>") == 429);
  BOOST_TEST(sp.id_of("<|blank_80|>") == 507);
  BOOST_TEST(sp.id_of("<0x00>") == 508);
  BOOST_TEST(sp.model().byte_fallback);
  // Without the additions the model is as trained.
  icetk_options plain;
  plain.add_glm130b_pieces = false;
  BOOST_TEST(icetk_tokenizer::open(fixture("ice_text_like.model"), plain).text_tokenizer().size() == 420u);
}

BOOST_AUTO_TEST_CASE(icetk_writes_whitespace_as_pieces) {
  const icetk_tokenizer tok = icetk_tokenizer::open(fixture("unigram_user_defined.model"), fixture_options());
  const sentencepiece_tokenizer& sp = tok.text_tokenizer();
  const auto contains = [](const ids& v, std::int32_t id) { return std::find(v.begin(), v.end(), id) != v.end(); };
  const ids two_lines = tok.encode("a\nb");
  BOOST_TEST(contains(two_lines, sp.id_of("<n>")));
  const ids tabbed = tok.encode("a\tb  c");
  BOOST_TEST(contains(tabbed, sp.id_of("<|tab|>")));
  BOOST_TEST(contains(tabbed, sp.id_of("<|blank_2|>")));
  // Longest first: 85 spaces are 80 + 5; 81 are 80 and a single space.
  const ids run_85 = tok.encode("a" + std::string(85, ' ') + "b");
  BOOST_TEST(contains(run_85, sp.id_of("<|blank_80|>")));
  BOOST_TEST(contains(run_85, sp.id_of("<|blank_5|>")));
  BOOST_TEST(tok.decode(run_85) == "a" + std::string(85, ' ') + "b");
  const ids run_81 = tok.encode("a" + std::string(81, ' ') + "b");
  BOOST_TEST(contains(run_81, sp.id_of("<|blank_80|>")));
  BOOST_TEST(tok.decode(run_81) == "a" + std::string(81, ' ') + "b");
  BOOST_TEST(tok.decode(tok.encode("x\n\ty")) == "x\n\ty");
}

BOOST_AUTO_TEST_CASE(icetk_commands_and_vocabulary) {
  const icetk_tokenizer glm130b = icetk_tokenizer::open(fixture("ice_text_like.model"));
  BOOST_TEST(glm130b.command("[MASK]") == 150000);
  BOOST_TEST(glm130b.command("[gMASK]") == 150001);
  BOOST_TEST(glm130b.command("[sMASK]") == 150002);
  BOOST_TEST(glm130b.command("eod") == 150003);
  BOOST_TEST(glm130b.command("sop") == 150004);
  BOOST_TEST(glm130b.command("eop") == 150005);
  BOOST_TEST(glm130b.command("ENC") == 150006);
  BOOST_TEST(glm130b.command("dBLOCK") == 150007);
  BOOST_TEST(glm130b.command("eos") == 20002);
  BOOST_TEST(glm130b.text_tokenizer().piece_of(2) == "</s>");  // eos is icetk's </s>
  expect_error<glm4::invalid_argument>([&] { (void)glm130b.command("<eos>"); }, {"<eos>", "[gMASK]"});
  // The commands lie past this small model's text ids.
  BOOST_TEST(glm130b.vocab_size() == 150008u);

  const icetk_tokenizer small = icetk_tokenizer::open(fixture("unigram_user_defined.model"), fixture_options());
  BOOST_TEST(small.command("[gMASK]") == 1001);
  BOOST_TEST(small.command("eos") == 1003);
  BOOST_TEST(small.vocab_size() == 1004u);
  BOOST_TEST(small.text_offset() == 0);
}

BOOST_AUTO_TEST_CASE(icetk_decode_skips_commands_and_image_ids) {
  const icetk_tokenizer tok = icetk_tokenizer::open(fixture("ice_text_like.model"));
  const ids text = tok.encode("Hello world");
  BOOST_TEST(text.front() >= 20000);
  ids prompt = {tok.command("[gMASK]"), tok.command("sop"), 17, 19999};  // two image ids
  prompt.insert(prompt.end(), text.begin(), text.end());
  prompt.push_back(tok.command("eos"));
  BOOST_TEST(tok.decode(prompt) == "Hello world");
  expect_error<glm4::invalid_argument>([&] { (void)tok.decode(ids{20000 + 764}); }, {"20764"});
  expect_error<glm4::invalid_argument>([&] { (void)tok.decode(ids{-3}); }, {"-3"});

  const icetk_tokenizer small = icetk_tokenizer::open(fixture("unigram_user_defined.model"), fixture_options());
  ids generated = small.encode("The keeper");
  generated.insert(generated.begin(), {small.command("[gMASK]"), small.command("sop")});
  generated.push_back(small.command("eos"));
  BOOST_TEST(small.decode(generated) == "The keeper");
  expect_error<glm4::invalid_argument>([&] { (void)small.decode(ids{600}); }, {"600"});
}
