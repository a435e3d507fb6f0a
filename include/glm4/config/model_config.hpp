// A model configuration is a type: its static constexpr members give the
// architecture and shapes, checked at compile time. Declaring one for a
// fine-tune takes a few lines (see presets.hpp and README):
//
//   struct my_glm : glm4::presets::glm4_9b_0414 {
//     static constexpr std::string_view name = "my-glm";
//     static constexpr std::int64_t num_layers = 24;
//   };
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "glm4/config/model_shape.hpp"

namespace glm4 {

template <class C>
concept model_config_members = requires {
  { C::name } -> std::convertible_to<std::string_view>;
  { C::style } -> std::convertible_to<block_style>;
  { C::vocab_size } -> std::convertible_to<std::int64_t>;
  { C::hidden_size } -> std::convertible_to<std::int64_t>;
  { C::intermediate_size } -> std::convertible_to<std::int64_t>;
  { C::num_layers } -> std::convertible_to<std::int64_t>;
  { C::num_heads } -> std::convertible_to<std::int64_t>;
  { C::num_kv_heads } -> std::convertible_to<std::int64_t>;
  { C::head_dim } -> std::convertible_to<std::int64_t>;
  { C::partial_rotary_factor } -> std::convertible_to<double>;
  { C::rope_theta } -> std::convertible_to<double>;
  { C::rms_norm_eps } -> std::convertible_to<double>;
  { C::rope_scaling } -> std::convertible_to<yarn_scaling>;
  { C::max_context } -> std::convertible_to<std::int64_t>;
  { C::tie_word_embeddings } -> std::convertible_to<bool>;
};

// Optional member: configs that do not name it get f32 frequencies.
template <class C>
constexpr rope_frequency_precision rope_precision_of() {
  if constexpr (requires { C::rope_precision; })
    return C::rope_precision;
  else
    return rope_frequency_precision::f32;
}

template <model_config_members C>
constexpr model_shape shape_of() {
  return model_shape{
      .style = C::style,
      .vocab_size = C::vocab_size,
      .hidden_size = C::hidden_size,
      .intermediate_size = C::intermediate_size,
      .num_layers = C::num_layers,
      .num_heads = C::num_heads,
      .num_kv_heads = C::num_kv_heads,
      .head_dim = C::head_dim,
      .partial_rotary_factor = C::partial_rotary_factor,
      .rope_theta = C::rope_theta,
      .rms_norm_eps = C::rms_norm_eps,
      .rope_scaling = C::rope_scaling,
      .max_context = C::max_context,
      .tie_word_embeddings = C::tie_word_embeddings,
      .rope_precision = rope_precision_of<C>(),
  };
}

// The rules every GLM-4 shape obeys; a config breaking one does not compile.
// Kept as one constexpr predicate per rule so the static_assert that fails
// says which.
namespace rules {
constexpr bool positive_sizes(const model_shape& s) {
  return s.vocab_size > 0 && s.hidden_size > 0 && s.intermediate_size > 0 && s.num_layers > 0 &&
         s.num_heads > 0 && s.num_kv_heads > 0 && s.head_dim > 0 && s.max_context > 0;
}
constexpr bool heads_divisible(const model_shape& s) {
  return s.num_kv_heads > 0 && s.num_heads % s.num_kv_heads == 0;
}
// Rotation acts on pairs of channels, so the rotary part is even and within
// the head.
constexpr bool rotary_fits(const model_shape& s) {
  const auto r = s.rotary_dim();
  return s.partial_rotary_factor > 0 && r > 0 && r % 2 == 0 && r <= s.head_dim &&
         static_cast<double>(r) == static_cast<double>(s.head_dim) * s.partial_rotary_factor;
}
constexpr bool sane_numbers(const model_shape& s) {
  return s.rope_theta > 1.0 && s.rms_norm_eps > 0.0 && s.rms_norm_eps < 1.0;
}
constexpr bool yarn_consistent(const model_shape& s) {
  const auto& y = s.rope_scaling;
  return !y.enabled() ||
         (y.factor > 1.0 && y.original_max_positions > 0 && y.beta_fast > y.beta_slow &&
          y.attention_factor >= 0.0);
}
}  // namespace rules

template <class C>
concept model_config = model_config_members<C> && rules::positive_sizes(shape_of<C>()) &&
                       rules::heads_divisible(shape_of<C>()) && rules::rotary_fits(shape_of<C>()) &&
                       rules::sane_numbers(shape_of<C>()) && rules::yarn_consistent(shape_of<C>());

// A compile-time list of configurations, tried in order where a file picks
// one (glm4::open_model).
template <model_config... Cs>
struct config_list {};

// Spells out which rule a config breaks (a failed concept only says "not
// satisfied"); model<C, S> calls it.
template <model_config_members C>
consteval bool check_config() {
  constexpr model_shape s = shape_of<C>();
  static_assert(rules::positive_sizes(s), "glm4 config: every size must be positive");
  static_assert(rules::heads_divisible(s), "glm4 config: num_heads must be a multiple of num_kv_heads");
  static_assert(rules::rotary_fits(s),
                "glm4 config: head_dim * partial_rotary_factor must be an even whole number <= head_dim");
  static_assert(rules::sane_numbers(s), "glm4 config: rope_theta > 1 and 0 < rms_norm_eps < 1");
  static_assert(rules::yarn_consistent(s),
                "glm4 config: YaRN needs factor > 1, original_max_positions > 0, beta_fast > beta_slow");
  return true;
}

}  // namespace glm4
