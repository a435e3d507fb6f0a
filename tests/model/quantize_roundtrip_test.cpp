// glm4-small exported by convert::export_gguf (what examples/quantize runs) and
// read back: the shape of its config, the tokenizer llama.cpp's converter
// wrote, every tensor's bytes what its format's quantizer makes of the
// bf16 source, and logits within llama.cpp's own error for that type.
#define BOOST_TEST_MODULE quantize_roundtrip
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/convert/gguf_export.hpp"
#include "glm4/glm4.hpp"
#include "golden_reference.hpp"

using namespace glm4;
namespace fs = std::filesystem;
namespace q = glm4::quant;

namespace {

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("glm4_quantize_roundtrip_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};
const temp_dir tmp;

const std::string small_dir = testing::model_dir("glm4-small");

std::vector<double> llamacpp_errors(const std::string& file) {
  nlohmann::json j;
  std::ifstream(std::string(GLM4_TEST_DATA_DIR) + "/gguf/" + file + ".llamacpp-ref.json") >> j;
  return j["llamacpp_max_abs_err_vs_hf_logits"].get<std::vector<double>>();
}

fs::path export_small(const std::string& tag, q::ggml_type type, std::optional<q::ggml_type> output,
                      std::vector<std::string>* warnings = nullptr, bool k_mix = false) {
  convert::gguf_export_options o;
  o.rules.k_mix = k_mix;
  o.rules.type = type;
  o.rules.output_type = output;
  std::size_t calls = 0, last_count = 0;
  o.progress = [&](const convert::gguf_export_progress& p) {
    BOOST_TEST(p.index == calls);
    ++calls;
    last_count = p.count;
  };
  o.warn = [&](const std::string& w) {
    if (warnings) warnings->push_back(w);
  };
  const fs::path out = tmp.path / ("glm4-small-" + tag + ".gguf");
  convert::export_gguf(small_dir, out, o);
  BOOST_TEST(calls == last_count);
  return out;
}

// Every tensor of `path` is the source's, named and shaped as llama.cpp
// names it, with exactly the bytes its format's quantizer gives.
// `types`: the GGUF name -> type a reference file has (when given, the
// export's types must equal them).
void check_tensors(const fs::path& path, q::ggml_type type, q::ggml_type output, const io::gguf_file* types = nullptr) {
  const io::checkpoint_folder src(small_dir);
  const auto gguf = io::gguf_source::open(path);
  auto src_names = src.names();
  auto names = gguf->names();
  std::sort(src_names.begin(), src_names.end());
  std::sort(names.begin(), names.end());
  BOOST_TEST(names == src_names, boost::test_tools::per_element());
  for (const auto& name : src_names) {
    const auto s = *src.find(name);
    const auto g = gguf->find(name);
    BOOST_TEST_REQUIRE(g.has_value(), name);
    BOOST_TEST_INFO(name << " (" << g->file_name << ")");
    BOOST_TEST(g->file_name == io::gguf_tensor_name(name));
    BOOST_TEST(g->shape == s.shape, boost::test_tools::per_element());
    q::ggml_type want = s.shape.size() == 1 ? q::ggml_type::f32 : name == "lm_head.weight" ? output : type;
    if (types) {
      const auto* r = types->find_tensor(g->file_name);
      BOOST_TEST_REQUIRE(r != nullptr);
      want = r->type;
    }
    BOOST_TEST((g->type == want));
    std::vector<float> values(static_cast<std::size_t>(s.elements()));
    q::dequantize(s.type, s.bytes, values.data(), values.size());
    std::vector<std::byte> expected(g->bytes.size());
    BOOST_TEST_REQUIRE(q::visit_format(want, [&]<q::block_format F>() {
      BOOST_TEST_REQUIRE(expected.size() == q::storage_bytes<F>(values.size()));
      F::quantize(values.data(), reinterpret_cast<typename F::block*>(expected.data()), values.size());
    }));
    BOOST_TEST(std::memcmp(expected.data(), g->bytes.data(), expected.size()) == 0);
  }
}

// As tests/model/gguf_logits_test.cpp: int16 activations at least as close
// to transformers as llama.cpp on its own file, int8 (its precision) within 15 %.
template <class Scheme>
void check_logits(const fs::path& path, const std::string& llamacpp_file) {
  const auto bars = llamacpp_errors(llamacpp_file);
  const auto m = model<shipped_models::glm4_small, Scheme>::load(path);
  const auto golden = testing::read_golden("glm4-small");
  BOOST_TEST_REQUIRE(golden.size() <= bars.size());
  kernels::for_each_precision([&]<kernels::activation_precision P>() {
    constexpr bool int8 = std::is_same_v<P, kernels::int8_activations>;
    const float slack = int8 ? 1.15f : 1.0f;
    for (std::size_t i = 0; i < golden.size(); ++i) {
      session<Scheme, quant::f32, P> run(m, {.context = 128, .threads = 2});
      const auto logits = run.prefill(golden[i].prompt, logits_for::all);
      const float err = testing::max_abs_diff(logits, golden[i].logits);
      const float bar = slack * static_cast<float>(bars[i]);
      const char* name = int8 ? " (int8)" : " (int16)";
      BOOST_TEST_MESSAGE(path.filename().string() << name << " prompt " << i << ": max |logit - HF| = " << err
                                                  << ", llama.cpp " << llamacpp_file << ": " << bars[i]);
      BOOST_TEST(err <= bar, path.filename().string() << name << " prompt " << i << ": " << err << " > " << bar);
    }
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(metadata_matches_the_config_and_llamacpp_tokenizer) {
  std::vector<std::string> warnings;
  const auto path = export_small("meta-q8_0", q::ggml_type::q8_0, std::nullopt, &warnings);
  BOOST_TEST(warnings.empty());
  const auto f = io::gguf_file::open(path);
  const auto ref = io::gguf_file::open(std::string(GLM4_TEST_DATA_DIR) + "/gguf/glm4-small-Q8_0.gguf");
  BOOST_TEST(f->architecture() == "glm4");
  const model_shape shape = io::shape_from_gguf(*f);
  const model_shape want = io::read_model_config(small_dir + "/config.json");
  const auto diffs = io::shape_differences(want, shape);
  BOOST_TEST(diffs.empty(), "shape differs: " << (diffs.empty() ? "" : diffs.front()));
  BOOST_TEST(io::shape_differences(io::shape_from_gguf(*ref), shape).empty());
  BOOST_TEST(f->get<std::uint32_t>("general.file_type") == 7u);
  BOOST_TEST(f->get<std::uint32_t>("general.quantization_version") == 2u);
  // The tokenizer llama.cpp's converter wrote for the same folder.
  const auto a = io::vocab_from_gguf(*f);
  const auto b = io::vocab_from_gguf(*ref);
  BOOST_TEST(a.model == b.model);
  BOOST_TEST(a.pre == b.pre);
  BOOST_TEST(a.tokens == b.tokens, boost::test_tools::per_element());
  BOOST_TEST(a.token_types == b.token_types, boost::test_tools::per_element());
  BOOST_TEST(a.merges == b.merges, boost::test_tools::per_element());
  BOOST_TEST((a.eos_id == b.eos_id && a.eot_id == b.eot_id && a.bos_id == b.bos_id));
  BOOST_TEST((a.unknown_id == b.unknown_id && a.padding_id == b.padding_id));
}

BOOST_AUTO_TEST_CASE(type_names_parse) {
  BOOST_TEST((convert::parse_type_name("q4_k") == q::ggml_type::q4_k));
  BOOST_TEST((convert::parse_type_name("Q8_0") == q::ggml_type::q8_0));
  BOOST_TEST((convert::parse_type_name("bf16") == q::ggml_type::bf16));
  BOOST_TEST(!convert::parse_type_name("q3_k").has_value());
  BOOST_TEST(io::gguf_tensor_name("model.layers.1.mlp.gate_up_proj.weight") == "blk.1.ffn_up.weight");
  BOOST_TEST(io::canonical_name(io::gguf_tensor_name("model.layers.0.post_mlp_layernorm.weight")) ==
             "model.layers.0.post_mlp_layernorm.weight");
}

BOOST_AUTO_TEST_CASE(q8_0_round_trips_and_meets_the_llamacpp_bar) {
  const auto path = export_small("q8_0", q::ggml_type::q8_0, std::nullopt);
  check_tensors(path, q::ggml_type::q8_0, q::ggml_type::q8_0);
  check_logits<weights::uniform<q::q8_0>>(path, "glm4-small-Q8_0");
}

BOOST_AUTO_TEST_CASE(q4_0_with_a_q6_k_output_round_trips_and_meets_the_llamacpp_bar) {
  // llama.cpp's Q4_0 keeps output.weight in q6_k; so does this export.
  const auto path = export_small("q4_0", q::ggml_type::q4_0, q::ggml_type::q6_k);
  check_tensors(path, q::ggml_type::q4_0, q::ggml_type::q6_k);
  check_logits<weights::scheme<q::q4_0, q::q4_0, q::q4_0, q::q6_k>>(path, "glm4-small-Q4_0");
}

// The formats without a llama.cpp fixture of their own, through their
// SIMD kernels (a whole model, both activation precisions): the logits
// against those of the same file's weights dequantized to f32 at load, so
// that the activations' rounding is the only difference. Its bounds hold
// with room for Q4_0 and Q4_K_M, whose kernels meet llama.cpp's bar
// above: int16 activations (steps of amax / 32767) 0.01, int8 (ggml's own
// rounding, amax / 127) 0.25.
template <class Scheme>
void check_against_dequantized(const fs::path& path) {
  const auto quantized = model<shipped_models::glm4_small, Scheme>::load(path);
  const auto dequantized = model<shipped_models::glm4_small, weights::f32>::load(path);
  const auto golden = testing::read_golden("glm4-small");
  kernels::for_each_precision([&]<kernels::activation_precision P>() {
    constexpr bool int8 = std::is_same_v<P, kernels::int8_activations>;
    for (std::size_t i = 0; i < golden.size(); ++i) {
      session<Scheme, quant::f32, P> run(quantized, {.context = 128, .threads = 2});
      session<weights::f32, quant::f32, P> exact(dequantized, {.context = 128, .threads = 2});
      const auto logits = run.prefill(golden[i].prompt, logits_for::all);
      const float err = testing::max_abs_diff(logits, exact.prefill(golden[i].prompt, logits_for::all));
      const char* name = int8 ? " (int8)" : " (int16)";
      BOOST_TEST_MESSAGE(path.filename().string()
                         << name << " prompt " << i << ": max |logit - f32 weights| = " << err
                         << ", max |logit - HF| = " << testing::max_abs_diff(logits, golden[i].logits));
      BOOST_TEST(err <= (int8 ? 0.25f : 0.01f), path.filename().string() << name << " prompt " << i << ": " << err);
    }
  });
}

BOOST_AUTO_TEST_CASE(q4_1_with_a_q6_k_output_round_trips_and_its_kernels_hold) {
  const auto path = export_small("q4_1", q::ggml_type::q4_1, q::ggml_type::q6_k);
  check_tensors(path, q::ggml_type::q4_1, q::ggml_type::q6_k);
  check_against_dequantized<weights::scheme<q::q4_1, q::q4_1, q::q4_1, q::q6_k>>(path);
}

BOOST_AUTO_TEST_CASE(q5_1_with_a_q6_k_output_round_trips_and_its_kernels_hold) {
  const auto path = export_small("q5_1", q::ggml_type::q5_1, q::ggml_type::q6_k);
  check_tensors(path, q::ggml_type::q5_1, q::ggml_type::q6_k);
  check_against_dequantized<weights::scheme<q::q5_1, q::q5_1, q::q5_1, q::q6_k>>(path);
}

BOOST_AUTO_TEST_CASE(q5_k_with_a_q6_k_output_round_trips_and_its_kernels_hold) {
  const auto path = export_small("q5_k", q::ggml_type::q5_k, q::ggml_type::q6_k);
  check_tensors(path, q::ggml_type::q5_k, q::ggml_type::q6_k);
  check_against_dequantized<weights::scheme<q::q5_k, q::q5_k, q::q5_k, q::q6_k>>(path);
}

// The calibration of those bounds: the same check on the formats whose
// kernels meet llama.cpp's bar.
BOOST_AUTO_TEST_CASE(the_dequantized_comparison_holds_for_q4_0_and_q4_k_m) {
  check_against_dequantized<weights::scheme<q::q4_0, q::q4_0, q::q4_0, q::q6_k>>(
      export_small("q4_0", q::ggml_type::q4_0, q::ggml_type::q6_k));
  check_against_dequantized<weights::q4_k_m>(
      export_small("q4_k_m", q::ggml_type::q4_k, std::nullopt, nullptr, /*k_mix=*/true));
}

BOOST_AUTO_TEST_CASE(q4_k_with_a_q6_k_output_round_trips) {
  // No llama.cpp reference for a uniform Q4_K: bytes and loading only (its
  // logits are a little worse than Q4_K_M's, which is expected).
  const auto path = export_small("q4_k", q::ggml_type::q4_k, q::ggml_type::q6_k);
  check_tensors(path, q::ggml_type::q4_k, q::ggml_type::q6_k);
  const auto m = model<shipped_models::glm4_small, weights::scheme<q::q4_k, q::q4_k, q::q4_k, q::q6_k>>::load(path);
  const auto golden = testing::read_golden("glm4-small");
  session run(m, {.context = 128, .threads = 2});
  const float err = testing::max_abs_diff(run.prefill(golden[0].prompt, logits_for::all), golden[0].logits);
  BOOST_TEST_MESSAGE("glm4-small-q4_k.gguf prompt 0: max |logit - HF| = " << err);
  BOOST_TEST(err < 2.0f);
}

BOOST_AUTO_TEST_CASE(q4_k_m_has_llamacpps_types_and_meets_its_bar) {
  const auto path = export_small("q4_k_m", q::ggml_type::q4_k, std::nullopt, nullptr, /*k_mix=*/true);
  const auto ref = io::gguf_file::open(std::string(GLM4_TEST_DATA_DIR) + "/gguf/glm4-small-Q4_K_M.gguf");
  BOOST_TEST(io::gguf_file::open(path)->get<std::uint32_t>("general.file_type") == 15u);
  check_tensors(path, q::ggml_type::q4_k, q::ggml_type::q6_k, ref.get());
  check_logits<weights::q4_k_m>(path, "glm4-small-Q4_K_M");
}
