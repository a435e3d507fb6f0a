// Bad checkpoints and bad requests: each is a glm4::error whose message names
// the problem (field, tensor, file, both values), never a crash.
#define BOOST_TEST_MODULE load_errors
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <functional>

#include "checkpoint_builder.hpp"
#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"
#include "golden_reference.hpp"

using namespace glm4;
using tiny = model<shipped_models::glm4_tiny, weights::bf16>;

namespace {

// Runs f, which must throw E with every one of `parts` in its message.
template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    BOOST_ERROR("no exception thrown; expected one mentioning \"" << *parts.begin() << "\"");
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message \"" << msg << "\" lacks \"" << p << "\"");
  }
}

std::filesystem::path checkpoint_with(const std::string& tag, const testing::raw_tensors& tensors) {
  const auto dir = testing::scratch_checkpoint("glm4-tiny", tag);
  testing::write_safetensors(dir / "model.safetensors", tensors);
  return dir;
}

const testing::raw_tensors& fixture_tensors() {
  static const auto t = testing::read_raw(testing::model_dir("glm4-tiny") + "/model.safetensors");
  return t;
}

void edit_config(const std::filesystem::path& dir, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j;
  std::ifstream(dir / "config.json") >> j;
  edit(j);
  std::ofstream(dir / "config.json") << j.dump(2);
}

}  // namespace

BOOST_AUTO_TEST_CASE(config_field_mismatch_names_field_and_both_values) {
  const auto dir = checkpoint_with("config", fixture_tensors());
  edit_config(dir, [](nlohmann::json& j) {
    j["hidden_size"] = 256;
    j["rms_norm_eps"] = 1e-6;
  });
  expect_error<config_mismatch>([&] { tiny::load(dir); },
                                {"glm4-tiny", "hidden_size: compiled 128, checkpoint 256", "rms_norm_eps: compiled 1e-05, checkpoint 1e-06"});
}

BOOST_AUTO_TEST_CASE(architecture_mismatch_is_reported) {
  expect_error<config_mismatch>(
      [] { model<shipped_models::glm_tiny, weights::f32>::load(testing::model_dir("glm4-tiny")); },
      {"architecture: compiled glm (GlmForCausalLM), checkpoint glm4 (Glm4ForCausalLM)"});
}

BOOST_AUTO_TEST_CASE(missing_tensor_is_named) {
  auto t = fixture_tensors();
  t.erase("model.layers.2.self_attn.k_proj.weight");
  const auto dir = checkpoint_with("missing", t);
  expect_error<config_mismatch>([&] { tiny::load(dir); }, {"missing tensor 'model.layers.2.self_attn.k_proj.weight'"});
}

BOOST_AUTO_TEST_CASE(wrong_shape_names_tensor_file_and_both_shapes) {
  auto t = fixture_tensors();
  t["model.layers.1.mlp.down_proj.weight"].shape = {256, 128};
  const auto dir = checkpoint_with("shape", t);
  expect_error<config_mismatch>([&] { tiny::load(dir); },
                                {"model.safetensors", "'model.layers.1.mlp.down_proj.weight' has shape [256, 128]",
                                 "needs [128, 256]"});
}

BOOST_AUTO_TEST_CASE(unexpected_tensor_is_reported) {
  auto t = fixture_tensors();
  t["model.layers.3.input_layernorm.weight"] = t["model.layers.2.input_layernorm.weight"];
  const auto dir = checkpoint_with("extra", t);
  expect_error<config_mismatch>([&] { tiny::load(dir); }, {"unexpected tensor 'model.layers.3.input_layernorm.weight'"});
}

BOOST_AUTO_TEST_CASE(truncated_safetensors_is_a_format_error) {
  const auto dir = checkpoint_with("truncated", fixture_tensors());
  const auto file = dir / "model.safetensors";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 1000);
  expect_error<format_error>([&] { tiny::load(dir); }, {"model.safetensors", "outside the data section", "truncated"});
  std::filesystem::resize_file(file, 5);
  expect_error<format_error>([&] { tiny::load(dir); }, {"too short"});
}

BOOST_AUTO_TEST_CASE(corrupt_header_is_a_format_error) {
  const auto dir = checkpoint_with("json", fixture_tensors());
  const auto file = dir / "model.safetensors";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('#');  // the '{' that opens the JSON header
  }
  expect_error<format_error>([&] { tiny::load(dir); }, {"header is not a valid JSON object"});
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    const char huge[8] = {0, 0, 0, 0, 0, 0, 0, 0x10};
    f.write(huge, 8);
  }
  expect_error<format_error>([&] { tiny::load(dir); }, {"header length", "exceeds the file"});
}

BOOST_AUTO_TEST_CASE(bad_data_offsets_and_dtypes_are_format_errors) {
  auto t = fixture_tensors();
  t["model.norm.weight"].dtype = "I64";  // 8-byte elements: byte count no longer fits the shape
  auto dir = checkpoint_with("dtype", t);
  expect_error<format_error>([&] { tiny::load(dir); }, {"'model.norm.weight'", "bytes but its shape and dtype need"});
  t = fixture_tensors();
  t["model.norm.weight"].dtype = "I16";
  dir = checkpoint_with("int_weight", t);
  expect_error<format_error>([&] { tiny::load(dir); }, {"'model.norm.weight' has dtype I16"});
}

BOOST_AUTO_TEST_CASE(missing_files_are_io_errors) {
  expect_error<io_error>([] { tiny::load("/nonexistent/glm4"); }, {"/nonexistent/glm4"});
  const auto dir = testing::scratch_checkpoint("glm4-tiny", "empty");
  expect_error<io_error>([&] { tiny::load(dir); }, {"neither model.safetensors nor model.safetensors.index.json"});
}

BOOST_AUTO_TEST_CASE(sharded_checkpoint_loads_like_the_single_file) {
  const auto dir = testing::scratch_checkpoint("glm4-tiny", "sharded");
  testing::raw_tensors a, b;
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  for (const auto& [name, t] : fixture_tensors()) {
    const bool first = name.find("layers.2") == std::string::npos;
    (first ? a : b)[name] = t;
    index["weight_map"][name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  testing::write_safetensors(dir / "model-00001-of-00002.safetensors", a);
  testing::write_safetensors(dir / "model-00002-of-00002.safetensors", b);
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();

  const auto sharded = tiny::load(dir);
  const auto single = tiny::load(testing::model_dir("glm4-tiny"));
  const std::vector<std::int32_t> ids = {5, 17, 300, 2};
  session s1(sharded, {.context = 16, .threads = 1}), s2(single, {.context = 16, .threads = 1});
  const auto l1 = s1.prefill(ids);
  const std::vector<float> first(l1.begin(), l1.end());
  const auto l2 = s2.prefill(ids);
  BOOST_TEST(first == std::vector<float>(l2.begin(), l2.end()), boost::test_tools::per_element());

  index["weight_map"]["model.norm.weight"] = "model-00002-of-00002.safetensors";
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();
  expect_error<format_error>([&] { tiny::load(dir); }, {"'model.norm.weight' in model-00002-of-00002.safetensors"});
}

BOOST_AUTO_TEST_CASE(context_overflow_and_bad_tokens_are_clear_errors) {
  const auto m = tiny::load(testing::model_dir("glm4-tiny"));
  session run(m, {.context = 8, .threads = 1});
  const std::vector<std::int32_t> nine(9, 1);
  expect_error<context_overflow>([&] { run.prefill(nine); }, {"9 tokens at position 0", "context of 8"});
  run.prefill(std::span(nine).first(8));
  expect_error<context_overflow>([&] { run.decode(1); }, {"1 tokens at position 8"});
  run.reset();
  const std::vector<std::int32_t> bad = {1, 1024};
  expect_error<invalid_argument>([&] { run.prefill(bad); }, {"token id 1024", "[0, 1024)"});
  expect_error<invalid_argument>([&] { run.prefill(std::vector<std::int32_t>{}); }, {"at least one token"});
  expect_error<invalid_argument>([&] { session too_long(m, {.context = 100000}); }, {"1..8192"});
}
