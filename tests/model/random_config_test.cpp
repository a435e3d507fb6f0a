// Shapes no fixture has — head_dim not a power of two, other KV-head ratios,
// rope theta and eps, YaRN factors — held to the independent double-precision
// Eigen reference (reference_forward.hpp) on random weights.
#define BOOST_TEST_MODULE random_config
#include <boost/test/unit_test.hpp>

#include <random>

#include "glm4/glm4.hpp"
#include "golden_reference.hpp"
#include "memory_source.hpp"
#include "reference_forward.hpp"

using namespace glm4;

namespace {

model_shape random_shape(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<std::int64_t> v) { return *(v.begin() + rng() % v.size()); };
  model_shape s;
  s.style = rng() % 2 ? block_style::glm4 : block_style::glm;
  s.vocab_size = pick({97, 256, 300});
  s.num_kv_heads = pick({1, 2, 3});
  s.num_heads = s.num_kv_heads * pick({1, 2, 4});
  s.head_dim = pick({12, 20, 24, 36, 64});  // rotary half of each must be even
  s.hidden_size = pick({48, 72, 96, 160});
  s.intermediate_size = pick({40, 100, 136});
  s.num_layers = pick({1, 2, 3});
  s.rope_theta = std::vector<double>{10000.0, 500000.0, 5e6}[rng() % 3];
  s.rms_norm_eps = std::vector<double>{1e-5, 1e-6, 1.5625e-7}[rng() % 3];
  s.max_context = 64;
  if (rng() % 3 == 0) s.rope_scaling = {.factor = std::vector<double>{2.0, 8.0, 16.0}[rng() % 3], .original_max_positions = 8};
  return s;
}

std::string describe(const model_shape& s) {
  std::ostringstream o;
  o << to_string(s.style) << " vocab " << s.vocab_size << " hidden " << s.hidden_size << " inter " << s.intermediate_size
    << " layers " << s.num_layers << " heads " << s.num_heads << "/" << s.num_kv_heads << " head_dim " << s.head_dim
    << " theta " << s.rope_theta << " eps " << s.rms_norm_eps << " yarn " << s.rope_scaling.factor;
  return o.str();
}

template <class Scheme>
void check_against_reference(const model_shape& s, unsigned seed, std::size_t prompt_len, float tolerance,
                             std::size_t threads = 2, std::size_t batch = 7) {
  BOOST_REQUIRE(rules::rotary_fits(s) && rules::heads_divisible(s));
  testing::memory_source src(s, seed);
  auto net = std::make_shared<const transformer<Scheme>>(s, load_weights<Scheme>(src, s));
  std::mt19937 rng(seed);
  std::vector<std::int32_t> ids(prompt_len);
  for (auto& id : ids) id = static_cast<std::int32_t>(rng() % s.vocab_size);

  session<Scheme> run(net, {.context = s.max_context, .threads = threads, .batch = batch});
  const auto logits = run.prefill(ids, logits_for::all);
  const auto ref = testing::reference_logits(src.to_reference<testing::reference_weights>(), s,
                                             std::vector<int>(ids.begin(), ids.end()));
  double err = 0;
  for (std::size_t t = 0; t < prompt_len; ++t)
    for (std::int64_t v = 0; v < s.vocab_size; ++v)
      err = std::max(err, std::abs(double(logits[t * s.vocab_size + v]) - ref(t, v)));
  BOOST_TEST_INFO(describe(s) << ": max |logit - reference| = " << err);
  BOOST_TEST(err <= tolerance);
}

}  // namespace

BOOST_AUTO_TEST_CASE(many_random_shapes_match_the_reference) {
  std::mt19937 rng(2024);
  for (int i = 0; i < 24; ++i) {
    const auto s = random_shape(rng);
    check_against_reference<weights::f32>(s, 100 + i, 5 + rng() % 40, 1e-3f);
  }
}

// One token per forward pass on more threads than KV heads: decode's
// attention splits each group's heads over tasks.
BOOST_AUTO_TEST_CASE(token_by_token_on_four_threads_matches_the_reference) {
  std::mt19937 rng(99);
  for (int i = 0; i < 8; ++i) {
    const auto s = random_shape(rng);
    check_against_reference<weights::f32>(s, 300 + i, 5 + rng() % 40, 1e-3f, 4, 1);
  }
}

// 16 heads to a KV head (GLM-4-9B-0414's ratio) on thread counts whose
// share of the group does not divide it (7 threads: slices of 3 heads, the
// last one 1; 5: 4 heads; 11: 2 heads).
BOOST_AUTO_TEST_CASE(token_by_token_with_uneven_head_slices_matches_the_reference) {
  std::mt19937 rng(5);
  for (const std::size_t threads : {5, 7, 11}) {
    auto s = random_shape(rng);
    s.num_kv_heads = 1 + rng() % 2;
    s.num_heads = 16 * s.num_kv_heads;
    check_against_reference<weights::f32>(s, 400 + static_cast<unsigned>(threads), 9, 1e-3f, threads * s.num_kv_heads,
                                          1);
  }
}

BOOST_AUTO_TEST_CASE(bf16_storage_matches_the_reference_on_bf16_weights) {
  std::mt19937 rng(7);
  for (int i = 0; i < 6; ++i) check_against_reference<weights::bf16>(random_shape(rng), 200 + i, 33, 1e-3f);
}

// The same through the typed API: a config declared the way a user would.
struct odd_config : presets::glm4_9b_0414 {
  static constexpr std::string_view name = "odd";
  static constexpr std::int64_t vocab_size = 200;
  static constexpr std::int64_t hidden_size = 90;
  static constexpr std::int64_t intermediate_size = 70;
  static constexpr std::int64_t num_layers = 2;
  static constexpr std::int64_t num_heads = 6;
  static constexpr std::int64_t num_kv_heads = 3;
  static constexpr std::int64_t head_dim = 20;
  static constexpr double rope_theta = 250000.0;
  static constexpr double rms_norm_eps = 1e-6;
  static constexpr yarn_scaling rope_scaling{.factor = 8.0, .original_max_positions = 4};
  static constexpr std::int64_t max_context = 32;
};
static_assert(model_config<odd_config>);

BOOST_AUTO_TEST_CASE(a_user_declared_config_loads_and_matches) {
  constexpr auto s = shape_of<odd_config>();
  testing::memory_source src(s, 5);
  const auto m = model<odd_config, weights::f32>::from_source(src, s, "random weights");
  session run(m, {.context = 32, .threads = 1});
  const std::vector<std::int32_t> ids = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4};
  const auto logits = run.prefill(ids, logits_for::all);
  const auto ref = testing::reference_logits(src.to_reference<testing::reference_weights>(), s,
                                             std::vector<int>(ids.begin(), ids.end()));
  double err = 0;
  for (std::size_t t = 0; t < ids.size(); ++t)
    for (std::int64_t v = 0; v < s.vocab_size; ++v) err = std::max(err, std::abs(double(logits[t * 200 + v]) - ref(t, v)));
  BOOST_TEST(err <= 1e-3);
}
