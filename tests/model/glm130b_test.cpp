// GLM-130B's network against the float64 transcription of the official code
// (tests/data/models/glm130b-tiny, made by its make_glm130b_golden.py):
// logits at every prompt position under the blank-filling layout, for a
// [gMASK] prompt and a prompt with a [MASK] in the middle, and 16 greedy
// tokens through the KV cache (the reference re-ran the whole sequence).
#define BOOST_TEST_MODULE glm130b
#ifdef GLM4_TEST_HEADER_ONLY  // the static ARM64 build (scripts/test_arm64.sh)
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <algorithm>
#include <cmath>

#include "glm130b_fixture.hpp"
#include "golden_reference.hpp"

using namespace glm4;
using glm4::testing::largest_magnitude;
using glm4::testing::max_abs_diff;
using glm4::testing::read_tensor;

namespace {

using tiny = glm4::testing::glm130b_tiny;
const char* const folder = "glm130b-tiny";
constexpr auto tiny_ids = glm4::testing::glm130b_tiny_ids;

struct golden_case {
  std::vector<std::int32_t> prompt, position_ids, greedy;
  std::vector<float> logits;
};

std::vector<golden_case> read_cases() {
  io::safetensors_file f(glm4::testing::model_dir(folder) + "/reference.safetensors");
  std::vector<golden_case> out;
  for (int i = 0; f.find("prompt_" + std::to_string(i)); ++i) {
    const auto s = std::to_string(i);
    out.push_back({read_tensor<std::int32_t>(f, "prompt_" + s), read_tensor<std::int32_t>(f, "position_ids_" + s),
                   read_tensor<std::int32_t>(f, "greedy_" + s), read_tensor<float>(f, "logits_" + s)});
  }
  BOOST_REQUIRE_EQUAL(out.size(), 2u);
  return out;
}

// The bound of the issue: 1e-5 of the largest logit (they reach ~100).
template <class Scheme>
void check_logits() {
  const auto model = glm4::model<tiny, Scheme>::load(glm4::testing::model_dir(folder));
  for (const auto& g : read_cases()) {
    session run(model, {.context = 64, .threads = 2, .batch = 4});  // the context is longer than a batch
    const auto logits = run.prefill(g.prompt, logits_for::all, blank_layout(g.prompt, tiny_ids));
    const float err = max_abs_diff(logits, g.logits), scale = largest_magnitude(g.logits);
    BOOST_TEST_MESSAGE(g.prompt.size() << "-token prompt: max |logit - reference| = " << err << " (largest logit "
                                       << scale << ")");
    BOOST_TEST(err <= 1e-5f * scale);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(layout_positions_are_the_reference_position_ids) {
  for (const auto& g : read_cases()) {
    const auto layout = blank_layout(g.prompt, tiny_ids);
    BOOST_TEST(layout.shared == g.prompt.size() - 1);
    for (std::size_t i = 0; i < g.prompt.size(); ++i) BOOST_TEST(layout.rotary_position(i) == g.position_ids[i]);
  }
}

BOOST_AUTO_TEST_CASE(f32_logits_match_the_reference) { check_logits<weights::f32>(); }

// The checkpoint is fp16: f16 storage uses it in place, exactly.
BOOST_AUTO_TEST_CASE(f16_logits_match_the_reference) { check_logits<weights::uniform<quant::f16>>(); }

BOOST_AUTO_TEST_CASE(greedy_answers_through_the_cache_match) {
  const auto model = glm4::model<tiny, weights::f32>::load(glm4::testing::model_dir(folder));
  for (const auto& g : read_cases())
    BOOST_TEST(glm4::testing::greedy_answer(model, g.prompt, g.greedy.size()) == g.greedy,
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(prompts_follow_generate_py) {
  // no mask: [gMASK] appended, and the text then ends with a mask (no eos)
  BOOST_TEST(blank_prompt_ids(std::vector<std::int32_t>{5, 6}, tiny_ids) == (std::vector<std::int32_t>{5, 6, 1001, 1002}),
             boost::test_tools::per_element());
  // a mask inside: eos closes the text
  BOOST_TEST(blank_prompt_ids(std::vector<std::int32_t>{5, 1000, 6}, tiny_ids) ==
                 (std::vector<std::int32_t>{5, 1000, 6, 1003, 1002}),
             boost::test_tools::per_element());
  // [MASK] wins over a [gMASK] when choosing the blank; positions pin to it
  const std::vector<std::int32_t> prompt{1001, 7, 1000, 8, 1003, 1002};
  const auto layout = blank_layout(prompt, tiny_ids);
  BOOST_TEST(layout.rotary_position(5) == 2);
  BOOST_TEST(layout.rotary_position(9) == 2);
  BOOST_TEST(layout.rotary_position(4) == 4);
  // the answer replaces the blank; the next round's prompt is that plus <sop>
  BOOST_TEST(fill_blank(prompt, std::vector<std::int32_t>{20, 21, 1003}, tiny_ids) ==
                 (std::vector<std::int32_t>{1001, 7, 20, 21, 8, 1003}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(blank_layout(std::vector<std::int32_t>{5, 6}, tiny_ids), invalid_argument);
  BOOST_CHECK_THROW(blank_layout(std::vector<std::int32_t>{5, 1002}, tiny_ids), invalid_argument);
}

BOOST_AUTO_TEST_CASE(encode_with_masks_splits_on_the_markers) {
  const auto encode = [](std::string_view s) {
    std::vector<std::int32_t> ids;
    for (const char c : s) ids.push_back(static_cast<unsigned char>(c));
    return ids;
  };
  const blank_ids ids{.mask = 1000, .smask = 1002, .gmask = 1001, .eos = 3, .sop = 4, .eop = 5};
  BOOST_TEST(encode_with_masks("a[MASK]b[sMASK][gMASK]", ids, encode) ==
                 (std::vector<std::int32_t>{'a', 1000, 'b', 1002, 1001}),
             boost::test_tools::per_element());
  BOOST_TEST(encode_with_masks("[MASK", ids, encode) == encode("[MASK"), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_glm4_configuration_refuses_the_checkpoint) {
  BOOST_CHECK_THROW((glm4::model<shipped_models::glm4_tiny, weights::f32>::load(glm4::testing::model_dir(folder))),
                    config_mismatch);
}
