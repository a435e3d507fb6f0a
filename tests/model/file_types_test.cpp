// The file types (model/file_types.hpp) hold what glm4 quantize and
// llama-quantize write for the GLM-4-0414 shapes: for each type name, every
// 2-D weight's stored type (convert::quantize_rules.hpp, with the row-width
// fallback) is one its role accepts, so such a file opens in place instead
// of being refused.
#define BOOST_TEST_MODULE file_types
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "glm4/config/presets.hpp"
#include "glm4/convert/quantize_rules.hpp"
#include "glm4/model/file_types.hpp"

using namespace glm4;
namespace q = glm4::quant;
using g = q::ggml_type;

namespace {

// Each 2-D weight of a GLM-4-0414 model (transformers' names) and its row
// width, in the role file_types' schemes give it.
template <class Shape, class Visit>
void for_each_weight(Visit visit) {
  const std::int64_t H = Shape::hidden_size, Q = Shape::num_heads * Shape::head_dim, F = Shape::intermediate_size;
  visit("model.embed_tokens.weight", H, "embedding");
  for (std::int64_t l = 0; l < Shape::num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* name : {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"})
      visit(p + name, H, "attention");
    visit(p + "self_attn.o_proj.weight", Q, "attention");
    visit(p + "mlp.gate_up_proj.weight", H, "ffn");
    visit(p + "mlp.down_proj.weight", F, "ffn");
  }
  visit("lm_head.weight", H, "output");
}

template <class FileType, class Shape>
void check_held(std::string_view type_name, std::optional<g> output_type = std::nullopt) {
  auto rules = *convert::parse_file_type_name(type_name);
  if (output_type) rules.output_type = output_type;
  using S = typename FileType::scheme;
  std::size_t refused = 0;
  for_each_weight<Shape>([&](const std::string& canonical, std::int64_t cols, std::string_view role) {
    const g t = convert::stored_type(
        convert::weight_type(rules, canonical, "model.embed_tokens.", false, Shape::num_layers), cols);
    const bool held = role == "embedding"   ? weights::accepts<typename S::embedding>(t)
                      : role == "attention" ? weights::accepts<typename S::attention>(t)
                      : role == "ffn"       ? weights::accepts<typename S::ffn>(t)
                                            : weights::accepts<typename S::output>(t);
    if (!held && refused++ < 3)  // the first few, not 40 layers of the same
      BOOST_ERROR(Shape::name << " " << type_name << " (output "
                              << (output_type ? q::type_name(*output_type) : "default") << "): " << canonical
                              << " stored as " << q::type_name(t) << ", which " << FileType::name << "'s " << role
                              << " role refuses");
  });
  BOOST_TEST(refused == 0u, Shape::name << " " << type_name << ": " << refused << " weights refused");
}

// glm4 quantize's output (lm_head in TYPE, q6_k for the _M mixes) and
// llama-quantize's (lm_head q6_k for every type but Q8_0; `--pure`: TYPE).
template <class FileType, class Shape>
void check_both_outputs(std::string_view type_name) {
  check_held<FileType, Shape>(type_name);
  check_held<FileType, Shape>(type_name, g::q6_k);
}

template <class Shape>
void check_every_type() {
  check_held<file_types::q8_0, Shape>("q8_0");
  check_both_outputs<file_types::q6_k, Shape>("q6_k");
  check_both_outputs<file_types::q4_0, Shape>("q4_0");
  check_both_outputs<file_types::q4_1, Shape>("q4_1");
  check_both_outputs<file_types::q5_0, Shape>("q5_0");
  check_both_outputs<file_types::q4_k, Shape>("q4_k_s");
  check_both_outputs<file_types::q4_k, Shape>("q4_k_m");
  check_both_outputs<file_types::q5_k, Shape>("q5_k_s");
  check_both_outputs<file_types::q5_k, Shape>("q5_k_m");
  check_both_outputs<file_types::iq4_nl, Shape>("iq4_nl");
  check_both_outputs<file_types::iq4_xs, Shape>("iq4_xs");
}

}  // namespace

BOOST_AUTO_TEST_CASE(rows_that_are_no_whole_blocks_fall_back_as_llama_quantize_does) {
  const auto stored = [](g t, std::int64_t cols) { return q::type_name(convert::stored_type(t, cols)); };
  BOOST_TEST(stored(g::q4_k, 13696) == "q5_0");  // GLM-4-9B's ffn_down
  BOOST_TEST(stored(g::q5_k, 13696) == "q5_1");
  BOOST_TEST(stored(g::q6_k, 13696) == "q8_0");
  BOOST_TEST(stored(g::iq4_xs, 13696) == "iq4_nl");
  BOOST_TEST(stored(g::q4_k, 23040) == "q4_k");  // GLM-4-32B's: 90 blocks of 256
  BOOST_TEST(stored(g::q4_0, 13696) == "q4_0");
  BOOST_TEST(stored(g::q4_k, 48) == "f16");  // not even 32-value blocks
  BOOST_TEST(stored(g::q8_0, 100) == "f16");
}

BOOST_AUTO_TEST_CASE(every_type_written_for_glm4_9b_opens_as_its_file_type) {
  check_every_type<presets::glm4_9b_0414>();
}

BOOST_AUTO_TEST_CASE(every_type_written_for_glm4_32b_opens_as_its_file_type) {
  check_every_type<presets::glm4_32b_0414>();
}
