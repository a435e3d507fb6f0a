// GLM-130B as it is published: SwissArmyTransformer checkpoints split into
// model-parallel partitions, fp16 or INT8 / INT4 weight-only. The folders are
// written by tests/tools/make_sat_checkpoints.py (torch.save's layout, from
// the tiny model's weights) before this test runs (CTest fixture
// glm130b_sat_checkpoints); without Python the test reports itself skipped.
//   - fp16, 8 and 1 partitions: the same logits as the unpartitioned model;
//   - INT8 / INT4, 8 partitions: the same weights as the exact dequantized
//     values the script wrote beside them (code * scale, as F32);
//   - INT4, 2 partitions (block-aligned widths): q4_0 holding the codes as
//     they are, in place for the INT4 file type;
//   - merged into one GGUF (glm4 quantize's path), the same logits;
//   - a missing or foreign partition is an error naming it.
#define BOOST_TEST_MODULE glm130b_checkpoint
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "glm4/convert/gguf_export.hpp"
#include "glm130b_fixture.hpp"
#include "golden_reference.hpp"

using namespace glm4;
namespace fs = std::filesystem;

namespace {

using tiny = glm4::testing::glm130b_tiny;
using glm4::testing::largest_magnitude;
constexpr auto tiny_ids = glm4::testing::glm130b_tiny_ids;

fs::path fixtures() { return GLM4_SAT_FIXTURE_DIR; }

struct fixtures_written {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result ok(fs::is_directory(fixtures() / "int4-2way"));
    ok.message() << "no SAT checkpoints in " << fixtures().string()
                 << " (tests/tools/make_sat_checkpoints.py needs python3; ctest runs it first)";
    return ok;
  }
};

std::vector<std::int32_t> prompt() {
  return glm4::testing::read_golden("glm130b-tiny").back().prompt;  // the [MASK]-in-the-middle case
}

template <class Scheme>
std::vector<float> logits_of(const fs::path& folder) {
  const auto model = glm4::model<tiny, Scheme>::load(folder);
  session run(model, {.context = 64, .threads = 2});
  const auto p = prompt();
  const auto out = run.prefill(p, logits_for::all, blank_layout(p, tiny_ids));
  return {out.begin(), out.end()};
}

// Same weights, same arithmetic: equal but for the order of float sums.
void check_same(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  const float err = glm4::testing::max_abs_diff(a, b);
  BOOST_TEST_MESSAGE(what << ": max |logit difference| " << err << " (largest logit " << largest_magnitude(b) << ")");
  BOOST_TEST(err <= 1e-6f * largest_magnitude(b), what);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sat_checkpoints, *boost::unit_test::precondition(fixtures_written()))

BOOST_AUTO_TEST_CASE(fp16_partitions_merge_into_the_unpartitioned_model) {
  const auto reference = logits_of<weights::uniform<quant::f16>>(glm4::testing::model_dir("glm130b-tiny"));
  // 8 partitions in the iteration folder `latest` names; 1 partition used in place
  check_same(logits_of<weights::uniform<quant::f16>>(fixtures() / "fp16-8way"), reference, "fp16, 8 partitions");
  check_same(logits_of<weights::uniform<quant::f16>>(fixtures() / "fp16-1way"), reference, "fp16, 1 partition");
}

BOOST_AUTO_TEST_CASE(quantized_partitions_hold_the_exact_dequantized_weights) {
  for (const std::string name : {"int8-8way", "int4-8way", "int4-2way"})
    check_same(logits_of<weights::f32>(fixtures() / name), logits_of<weights::f32>(fixtures() / (name + "-dequantized")),
               name + " as f32");
}

BOOST_AUTO_TEST_CASE(aligned_int4_is_q4_0_and_opens_in_place) {
  const io::sat_checkpoint source(fixtures() / "int4-2way");
  BOOST_TEST(source.partitions() == 2u);
  BOOST_TEST(source.quantization_bits() == 4);
  const auto qkv = source.find("transformer.layers.0.attention.query_key_value.weight");
  BOOST_REQUIRE(qkv);
  BOOST_TEST((qkv->type == quant::ggml_type::q4_0));
  BOOST_TEST((qkv->shape == std::vector<std::int64_t>{384, 128}));
  // each block's values are code * the row's scale, as the exact F32 copy has them
  const io::checkpoint_folder exact(fixtures() / "int4-2way-dequantized");
  for (const auto* name : {"transformer.layers.1.attention.dense.weight", "transformer.layers.2.mlp.dense_4h_to_h.weight",
                           "transformer.layers.0.mlp.dense_h_to_4h.weight"}) {
    const auto q = source.find(name);
    const auto f = exact.find(name);
    BOOST_REQUIRE(q && f);
    BOOST_TEST((q->type == quant::ggml_type::q4_0), name);
    std::vector<float> values(static_cast<std::size_t>(q->elements()));
    quant::dequantize(q->type, q->bytes, values.data(), values.size());
    const auto* expected = reinterpret_cast<const float*>(f->bytes.data());
    BOOST_TEST(std::equal(values.begin(), values.end(), expected), name);
  }
  // the file type picks itself: nothing converted at load
  std::string chosen;
  open_model<config_list<tiny>, file_types::glm130b>(fixtures() / "int4-2way", [&]<class C, class S>(const model<C, S>&) {
    chosen = file_types::name_of<S>(file_types::glm130b{});
  });
  BOOST_TEST(chosen == "INT4");
  open_model<config_list<tiny>, file_types::glm130b>(fixtures() / "int8-8way", [&]<class C, class S>(const model<C, S>&) {
    chosen = file_types::name_of<S>(file_types::glm130b{});
  });
  BOOST_TEST(chosen == "INT8");
}

BOOST_AUTO_TEST_CASE(int8_in_place_keeps_the_greedy_answer) {
  // q8_0 matmuls round activations to int8 too: not the reference's logits,
  // but its greedy answer (margins of 60) holds.
  const auto model = glm4::model<tiny, file_types::int8::scheme>::load(fixtures() / "int8-8way");
  for (const auto& g : glm4::testing::read_golden("glm130b-tiny"))
    BOOST_TEST(glm4::testing::greedy_answer(model, g.prompt, g.greedy.size()) == g.greedy,
               boost::test_tools::per_element());
}

// glm4 quantize's path: the partitions merged into one GGUF (arch glm130b)
// that loads in place, INT4's q4_0 blocks copied as they are, with icetk.
BOOST_AUTO_TEST_CASE(partitions_export_to_a_gguf_that_loads_the_same) {
  const fs::path gguf = fs::temp_directory_path() / ("glm4-sat-" + std::to_string(::getpid()) + ".gguf");
  for (const auto& [folder, type] : {std::pair{"int4-2way", quant::ggml_type::q4_0},
                                     std::pair{"fp16-8way", quant::ggml_type::f16}}) {
    convert::export_gguf(fixtures() / folder, gguf, {.rules = {.type = type}});
    const auto file = model_file::open(gguf);
    BOOST_TEST((file.shape().style == block_style::glm130b));
    check_same(logits_of<file_types::int4::scheme>(gguf), logits_of<file_types::int4::scheme>(fixtures() / folder),
               std::string(folder) + " through GGUF, INT4 storage");
    check_same(logits_of<weights::uniform<quant::f16>>(gguf),
               logits_of<weights::uniform<quant::f16>>(fixtures() / folder), std::string(folder) + " through GGUF, f16");
    const auto from_gguf = open_icetk(gguf), from_folder = open_icetk(fixtures() / folder);
    BOOST_TEST(from_gguf.encode("A blank [and] text\n  here") == from_folder.encode("A blank [and] text\n  here"),
               boost::test_tools::per_element());
    BOOST_TEST(from_gguf.command("sop") == 1002);
  }
  std::string chosen;
  open_model<config_list<tiny>, file_types::glm130b>(gguf, [&]<class C, class S>(const model<C, S>&) {
    chosen = file_types::name_of<S>(file_types::glm130b{});
  });
  BOOST_TEST(chosen == "F16");
  fs::remove(gguf);
}

BOOST_AUTO_TEST_CASE(missing_and_foreign_partitions_are_named) {
  const fs::path dir = fs::temp_directory_path() / ("glm4-sat-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int r = 0; r < 8; ++r) {
    char name[40];
    std::snprintf(name, sizeof name, "mp_rank_%02d_model_states.pt", r);
    if (r != 3) fs::copy_file(fixtures() / "int8-8way" / name, dir / name);
  }
  try {
    io::sat_checkpoint{dir};
    BOOST_FAIL("a missing partition was accepted");
  } catch (const format_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("mp_rank_03_model_states.pt is missing") != std::string::npos);
  }
  // rank 3 from the fp16 checkpoint: another checkpoint's partition
  fs::copy_file(fixtures() / "fp16-8way" / "1000" / "mp_rank_03_model_states.pt", dir / "mp_rank_03_model_states.pt");
  try {
    io::sat_checkpoint{dir};
    BOOST_FAIL("a foreign partition was accepted");
  } catch (const format_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("mp_rank_03") != std::string::npos);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
