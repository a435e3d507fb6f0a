// glm4::open_model / any_model: every fixture opens through the ready list
// of file types in place (no conversion note), as the type llama-quantize
// named it; a named type converts; files that fit nothing are refused with
// every candidate and its reason; any_session gives the typed session's
// logits, for every KV format, and rewinding reuses the cached prefix.
#define BOOST_TEST_MODULE open
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"
#include "golden_reference.hpp"

using namespace glm4;

namespace {

using test_configs = shipped_models::all;

std::string gguf_path(const std::string& name) { return std::string(GLM4_TEST_DATA_DIR) + "/gguf/" + name; }

struct opened {
  std::string config, file_type;
  std::vector<std::string> notes;
};

opened open_fixture(const std::filesystem::path& path, std::string file_type = {}) {
  opened out;
  open_options options{.file_type = std::move(file_type)};
  options.load.note = [&](const std::string& line) { out.notes.push_back(line); };
  const auto m = any_model::open<test_configs>(path, options);
  out.config = m.config_name();
  out.file_type = m.file_type();
  return out;
}

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_gguf_fixture_opens_in_place_as_its_llama_cpp_type) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"glm4-small-F16.gguf", "F16"},     {"glm4-small-Q8_0.gguf", "Q8_0"}, {"glm4-small-Q4_0.gguf", "Q4_0"},
      {"glm4-small-Q6_K.gguf", "Q6_K"},   {"glm4-small-Q4_K_M.gguf", "Q4_K"},
      {"glm-tiny-chatglm-Q8_0.gguf", "Q8_0"}};
  for (const auto& [file, type] : cases) {
    const auto o = open_fixture(gguf_path(file));
    BOOST_TEST_INFO(file);
    BOOST_TEST(o.file_type == type);
    BOOST_TEST(o.notes.empty());
  }
  BOOST_TEST(open_fixture(gguf_path("glm4-small-Q8_0.gguf")).config == "glm4-small");
  BOOST_TEST(open_fixture(gguf_path("glm-tiny-chatglm-Q8_0.gguf")).config == "glm-tiny");
}

BOOST_AUTO_TEST_CASE(a_bf16_folder_opens_as_bf16_or_converts_to_a_named_type) {
  const auto folder = testing::model_dir("glm4-small");
  const auto in_place = open_fixture(folder);
  BOOST_TEST(in_place.file_type == "BF16");
  BOOST_TEST(in_place.notes.empty());
  const auto converted = open_fixture(folder, "q8_0");
  BOOST_TEST(converted.file_type == "Q8_0");
  BOOST_TEST(!converted.notes.empty());
  BOOST_TEST(error_of([&] { open_fixture(folder, "Q3_K"); }).find("unknown file type 'Q3_K' (compiled: BF16, F16, F32, Q8_0, Q6_K") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_file_no_type_holds_lists_each_candidate_and_why) {
  // Only F32 and Q8_0 compiled: a Q4_K_M file fits neither.
  using narrow = file_types::list<file_types::f32, file_types::q8_0>;
  const auto message = error_of([] { any_model::open<test_configs, narrow>(gguf_path("glm4-small-Q4_K_M.gguf")); });
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.find("no compiled file type holds its tensors in place") != std::string::npos);
  BOOST_TEST(message.find("F32: ") != std::string::npos);
  BOOST_TEST(message.find("Q8_0: ") != std::string::npos);
  BOOST_TEST(message.find(" is q4_k, ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_file_no_configuration_matches_lists_each_candidate_and_why) {
  using only_tiny = config_list<shipped_models::glm4_tiny, shipped_models::glm_tiny>;
  const auto message = error_of([] { any_model::open<only_tiny>(gguf_path("glm4-small-Q8_0.gguf")); });
  BOOST_TEST_INFO(message);
  BOOST_TEST(message.find("matches no compiled configuration") != std::string::npos);
  BOOST_TEST(message.find("glm4-tiny: ") != std::string::npos);
  BOOST_TEST(message.find("glm-tiny: ") != std::string::npos);
  BOOST_TEST(message.find("hidden_size") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_path_that_is_not_a_model_is_named) {
  BOOST_TEST(error_of([] { model_file::open("/nonexistent/model.gguf"); }).find("/nonexistent/model.gguf does not exist") !=
             std::string::npos);
  BOOST_TEST(error_of([] { model_file::open(GLM4_TEST_DATA_DIR); }).find("without config.json") != std::string::npos);
  const auto not_gguf = testing::model_dir("glm4-small") + "/config.json";
  BOOST_TEST(error_of([&] { model_file::open(not_gguf); }).find("config.json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(any_session_gives_the_typed_sessions_logits_for_every_kv_format) {
  const auto folder = testing::model_dir("glm4-small");
  const auto typed = model<shipped_models::glm4_small, weights::bf16>::load(folder);
  const auto erased = any_model::open<test_configs>(folder);
  const auto golden = testing::read_golden("glm4-small");
  const auto& prompt = golden[2].prompt;
  const auto compare = [&]<kv_format KV>(kv_cache_type kv) {
    session<weights::bf16, KV> a(typed.share(), {.context = 64, .threads = 2});
    any_session b = erased.new_session({.context = 64, .threads = 2}, kv);
    const auto la = a.prefill(prompt, logits_for::all);
    const std::vector<float> expected(la.begin(), la.end());
    const auto lb = b.prefill(prompt, logits_for::all);
    BOOST_TEST_INFO(to_string(kv));
    BOOST_TEST(testing::max_abs_diff(expected, lb) == 0.0f);
    BOOST_TEST(b.position() == static_cast<std::int64_t>(prompt.size()));
  };
  compare.template operator()<quant::f32>(kv_cache_type::f32);
  compare.template operator()<quant::f16>(kv_cache_type::f16);
  compare.template operator()<quant::bf16>(kv_cache_type::bf16);
  compare.template operator()<quant::q8_0>(kv_cache_type::q8_0);
}

BOOST_AUTO_TEST_CASE(generate_runs_on_f16_and_erased_sessions_and_matches_the_reference) {
  const auto folder = testing::model_dir("glm4-small");
  const auto golden = testing::read_golden("glm4-small");
  const auto m = any_model::open<test_configs>(folder);
  for (const auto& g : golden) {
    any_session run = m.new_session({.context = 128, .threads = 2}, kv_cache_type::f32);
    BOOST_TEST(generate_greedy(run, g.prompt, g.greedy.size()) == g.greedy, boost::test_tools::per_element());
  }
  const auto typed = model<shipped_models::glm4_small, weights::bf16>::load(folder);
  session<weights::bf16, quant::f16> half(typed.share(), {.context = 128, .threads = 2});
  BOOST_TEST(generate_greedy(half, golden[1].prompt, 8).size() == 8u);
}

BOOST_AUTO_TEST_CASE(rewinding_keeps_the_prefix_and_recomputes_the_rest_exactly) {
  const auto m = any_model::open<test_configs>(testing::model_dir("glm4-small"));
  const auto golden = testing::read_golden("glm4-small");
  const auto& prompt = golden[2].prompt;  // 40 tokens
  any_session fresh = m.new_session({.context = 64, .threads = 2}, kv_cache_type::f32);
  const auto l = fresh.prefill(prompt);
  const std::vector<float> expected(l.begin(), l.end());

  // Another continuation first, then back to the shared 25-token prefix.
  any_session reused = m.new_session({.context = 64, .threads = 2}, kv_cache_type::f32);
  std::vector<std::int32_t> other(prompt.begin(), prompt.begin() + 25);
  other.insert(other.end(), {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
  reused.prefill(other);
  reused.rewind(25);
  const auto again = reused.prefill(std::span(prompt).subspan(25));
  BOOST_TEST(testing::max_abs_diff(expected, again) <= 1e-5f);
  BOOST_TEST(error_of([&] { reused.rewind(41); }).find("cannot rewind") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tokenizer_and_chat_format_come_from_where_the_model_keeps_them) {
  const auto folder = testing::model_dir("glm4-small");
  const auto from_folder = open_tokenizer(folder);
  const auto from_gguf = open_tokenizer(gguf_path("glm4-small-Q8_0.gguf"));
  const std::string text = "Hello, world! 你好";
  BOOST_TEST(from_folder.encode(text) == from_gguf.encode(text), boost::test_tools::per_element());
  BOOST_TEST(from_gguf.decode(from_gguf.encode(text)) == text);
  BOOST_TEST(chat::to_string(chat::detect_format(folder)) == "glm4_0414");
  BOOST_TEST(chat::to_string(chat::detect_format(gguf_path("glm4-small-Q8_0.gguf"))) == "glm4_0414");
  BOOST_TEST(chat::to_string(chat::detect_format(gguf_path("glm-tiny-chatglm-Q8_0.gguf"))) == "glm4_chat");
  BOOST_TEST(chat::to_string(chat::detect_format(testing::model_dir("glm-tiny-chatglm"))) == "glm4_chat");
  BOOST_TEST(error_of([] { open_tokenizer(GLM4_TEST_DATA_DIR); }).find("has no tokenizer.json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(loading_reports_progress_once_per_matrix) {
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  open_options options;
  options.load.progress = [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); };
  const auto m = any_model::open<test_configs>(gguf_path("glm-tiny-chatglm-Q8_0.gguf"), options);  // fused qkv
  const std::size_t total = 2 + 6 * static_cast<std::size_t>(m.shape().num_layers);
  BOOST_REQUIRE(calls.size() == total);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    BOOST_TEST(calls[i].first == i + 1);
    BOOST_TEST(calls[i].second == total);
  }
}
