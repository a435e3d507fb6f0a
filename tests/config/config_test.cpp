// Compile-time configs and config.json parsing in both dialects.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "glm4/config/presets.hpp"
#include "glm4/config/shipped_models.hpp"
#include "glm4/io/hf_config.hpp"

using namespace glm4;

// The presets are valid configs with the published shapes.
static_assert(model_config<presets::glm4_9b_chat>);
static_assert(model_config<presets::glm4_9b_0414>);
static_assert(model_config<presets::glm_z1_9b_0414>);
static_assert(model_config<presets::glm4_32b_0414>);
static_assert(model_config<presets::glm_z1_32b_0414>);
static_assert(model_config<presets::glm_z1_rumination_32b_0414>);
static_assert(shape_of<presets::glm4_32b_0414>().num_layers == 61 && shape_of<presets::glm4_32b_0414>().q_dim() == 6144);
static_assert(shape_of<presets::glm4_9b_0414>().rotary_dim() == 64);
static_assert(shape_of<presets::glm_z1_rumination_32b_0414>().num_kv_heads == 8);
static_assert(shape_of<presets::with_yarn<presets::glm4_9b_0414>>().max_context == 131072);

// Broken configs are not model_configs: each rule rejects its own mistake.
struct bad_heads : shipped_models::glm4_tiny {
  static constexpr std::int64_t num_kv_heads = 3;  // 4 heads do not split over 3
};
struct odd_rotary : shipped_models::glm4_tiny {
  static constexpr std::int64_t head_dim = 30;  // rotary half 15 is odd
};
struct bad_eps : shipped_models::glm4_tiny {
  static constexpr double rms_norm_eps = 0.0;
};
struct bad_yarn : shipped_models::glm4_tiny {
  static constexpr yarn_scaling rope_scaling{.factor = 4.0, .original_max_positions = 0};
};
struct missing_member {
  static constexpr std::string_view name = "x";
};
static_assert(!model_config<bad_heads>);
static_assert(!model_config<odd_rotary>);
static_assert(!model_config<bad_eps>);
static_assert(!model_config<bad_yarn>);
static_assert(!model_config<missing_member>);

BOOST_AUTO_TEST_CASE(hf_glm4_config_parses_to_the_fixture_shape) {
  const auto s = io::read_model_config(std::string(GLM4_TEST_DATA_DIR) + "/models/glm4-tiny/config.json");
  BOOST_TEST(io::shape_differences(shape_of<shipped_models::glm4_tiny>(), s).empty());
}

BOOST_AUTO_TEST_CASE(chatglm_config_parses_to_the_same_shape_as_hf) {
  const auto hf = io::read_model_config(std::string(GLM4_TEST_DATA_DIR) + "/models/glm-tiny/config.json");
  const auto thudm = io::read_model_config(std::string(GLM4_TEST_DATA_DIR) + "/models/glm-tiny-chatglm/config.json");
  BOOST_TEST(io::shape_differences(hf, thudm).empty());
  BOOST_TEST((thudm.style == block_style::glm));
}

BOOST_AUTO_TEST_CASE(yarn_config_reads_factor_and_original_positions) {
  const auto s = io::read_model_config(std::string(GLM4_TEST_DATA_DIR) + "/models/glm4-tiny-yarn/config.json");
  BOOST_TEST(s.rope_scaling.factor == 4.0);
  BOOST_TEST(s.rope_scaling.original_max_positions == 32);
  BOOST_TEST(io::shape_differences(shape_of<shipped_models::glm4_tiny_yarn>(), s).empty());
}

BOOST_AUTO_TEST_CASE(real_checkpoint_configs_match_their_presets) {
  // config.json of THUDM/GLM-4-9B-0414 (fields that matter), as published.
  const auto glm4_9b_0414 = nlohmann::json::parse(R"({
    "architectures": ["Glm4ForCausalLM"], "model_type": "glm4", "attention_bias": true, "head_dim": 128,
    "hidden_size": 4096, "intermediate_size": 13696, "max_position_embeddings": 32768,
    "num_attention_heads": 32, "num_hidden_layers": 40, "num_key_value_heads": 2,
    "partial_rotary_factor": 0.5, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "tie_word_embeddings": false, "vocab_size": 151552})");
  BOOST_TEST(io::shape_differences(shape_of<presets::glm4_9b_0414>(), io::parse_model_config(glm4_9b_0414, "c")).empty());
  // The README's recipe for 128K: add rope_scaling, keep max_position_embeddings.
  auto yarn = glm4_9b_0414;
  yarn["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  BOOST_TEST(io::shape_differences(shape_of<presets::with_yarn<presets::glm4_9b_0414>>(), io::parse_model_config(yarn, "c")).empty());
  // glm-4-9b-chat in its original THUDM layout.
  const auto chat = nlohmann::json::parse(R"({
    "model_type": "chatglm", "add_bias_linear": false, "add_qkv_bias": true, "ffn_hidden_size": 13696,
    "hidden_size": 4096, "kv_channels": 128, "layernorm_epsilon": 1.5625e-07, "multi_query_attention": true,
    "multi_query_group_num": 2, "num_attention_heads": 32, "num_layers": 40, "padded_vocab_size": 151552,
    "rmsnorm": true, "rope_ratio": 500, "seq_length": 131072, "original_rope": true})");
  BOOST_TEST(io::shape_differences(shape_of<presets::glm4_9b_chat>(), io::parse_model_config(chat, "c")).empty());
}

BOOST_AUTO_TEST_CASE(differences_name_every_field_with_both_values) {
  auto s = shape_of<presets::glm4_9b_0414>();
  s.num_layers = 61;
  s.rope_theta = 5e6;
  const auto d = io::shape_differences(shape_of<presets::glm4_9b_0414>(), s);
  BOOST_REQUIRE_EQUAL(d.size(), 2u);
  BOOST_TEST(d[0] == "num_hidden_layers: compiled 40, checkpoint 61");
  BOOST_TEST(d[1] == "rope_theta: compiled 10000, checkpoint 5e+06");
  BOOST_CHECK_THROW(io::require_shape(shape_of<presets::glm4_9b_0414>(), s, "GLM-4-9B-0414", "x"), config_mismatch);
}

BOOST_AUTO_TEST_CASE(malformed_configs_are_format_errors) {
  BOOST_CHECK_THROW(io::parse_model_config(nlohmann::json::parse(R"({"model_type": "llama"})"), "c"), format_error);
  BOOST_CHECK_THROW(io::parse_model_config(nlohmann::json::parse(R"({"model_type": "glm4", "vocab_size": "x"})"), "c"),
                    format_error);
  BOOST_CHECK_THROW(io::parse_model_config(nlohmann::json::parse(R"([1, 2])"), "c"), format_error);
  const auto yarn_bad = nlohmann::json::parse(R"({"model_type": "glm4", "vocab_size": 8, "hidden_size": 8,
    "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1, "rope_scaling": {"type": "linear", "factor": 2.0}})");
  BOOST_CHECK_THROW(io::parse_model_config(yarn_bad, "c"), format_error);
}
