// kernels::attend_group against a double-precision softmax attention over the
// same cached keys and values: lengths on both sides of the 64-position blocks,
// several tokens (causal: token t sees first_length + t positions, or a
// shared prefix of more, GLM-130B's context attended both ways), heads
// of a group side by side, head_dim with and without a SIMD tail, and the
// f32, f16, bf16 and q8_0 caches.
// Also cross-built for ARM64 (scripts/test_arm64.sh).
#define BOOST_TEST_MODULE attention
#ifdef GLM4_TEST_HEADER_ONLY
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "glm4/kernels/attention.hpp"
#include "glm4/model/kv_cache.hpp"
#include "glm4/quant/bf16.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/q8_0.hpp"

using namespace glm4;

namespace {

// The fields of a model's shape a KV cache reads.
model_shape cache_shape(std::int64_t layers, std::int64_t kv_heads, std::int64_t heads, std::int64_t head_dim) {
  model_shape s;
  s.num_layers = layers;
  s.num_kv_heads = kv_heads;
  s.num_heads = heads;
  s.head_dim = head_dim;
  return s;
}

struct case_shape {
  std::size_t head_dim, group, tokens, first_length, shared = 0;
};

template <class F>
void check(const case_shape& c, unsigned seed) {
  const model_shape s = cache_shape(2, 2, static_cast<std::int64_t>(2 * c.group), static_cast<std::int64_t>(c.head_dim));
  const std::size_t D = c.head_dim, length = std::max(c.first_length + c.tokens - 1, c.shared);
  const std::size_t layer = 1, kv_head = 1;
  kv_cache<F> cache(s, static_cast<std::int64_t>(length + 3));

  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> k(D), v(D);
  for (std::size_t pos = 0; pos < length; ++pos)
    for (std::size_t h = 0; h < 2; ++h) {
      // scores spread over a few units, as trained models' are
      for (auto& x : k) x = 2.0f * normal(rng);
      for (auto& x : v) x = normal(rng);
      cache.store(layer, h, pos, k.data(), v.data());
    }
  // queries of `tokens` tokens x `group` heads, with a gap after each token's heads
  const std::size_t token_stride = c.group * D + 5;
  std::vector<float> q(c.tokens * token_stride), out(q.size(), -7.0f);
  for (auto& x : q) x = normal(rng);

  kernels::attention_scratch scratch(D, c.tokens * c.group);
  kernels::attend_group(cache, layer, kv_head, q.data(), out.data(), token_stride, c.tokens, c.group, D,
                        c.first_length, scratch, c.shared);

  std::vector<float> kd(D), vd(D);
  for (std::size_t t = 0; t < c.tokens; ++t)
    for (std::size_t g = 0; g < c.group; ++g) {
      const float* qr = &q[t * token_stride + g * D];
      const std::size_t visible = std::max(c.first_length + t, c.shared);
      std::vector<double> score(visible);
      double max = -1e300;
      for (std::size_t j = 0; j < visible; ++j) {
        cache.read_key(layer, kv_head, j, kd.data());
        double dot = 0;
        for (std::size_t i = 0; i < D; ++i) dot += double(qr[i]) * kd[i];
        score[j] = dot / std::sqrt(double(D));
        max = std::max(max, score[j]);
      }
      double sum = 0;
      for (auto& x : score) sum += x = std::exp(x - max);
      std::vector<double> expect(D, 0.0);
      for (std::size_t j = 0; j < visible; ++j) {
        cache.read_value(layer, kv_head, j, vd.data());
        for (std::size_t i = 0; i < D; ++i) expect[i] += score[j] / sum * vd[i];
      }
      for (std::size_t i = 0; i < D; ++i) {
        BOOST_TEST_INFO(F::name << " head_dim " << D << " group " << c.group << " tokens " << c.tokens << " first "
                                << c.first_length << " shared " << c.shared << ": token " << t << " head " << g << " value " << i);
        BOOST_TEST(std::fabs(out[t * token_stride + g * D + i] - expect[i]) <= 2e-6 + 2e-5 * std::fabs(expect[i]));
      }
    }
  // the gaps between tokens' rows are not written
  for (std::size_t t = 0; t < c.tokens; ++t)
    for (std::size_t i = c.group * D; i < token_stride; ++i) BOOST_TEST(out[t * token_stride + i] == -7.0f);
}

const case_shape cases[] = {
    {128, 16, 1, 1},    // one position
    {128, 16, 1, 64},   // one whole block
    {128, 16, 1, 65},   // a block and one
    {128, 16, 1, 300},  // blocks where the max moves on
    {128, 4, 5, 60},    // tokens ending in the second block
    {36, 3, 4, 130},    // head_dim with a SIMD tail
    {20, 1, 7, 1},      // a batch from the first position
    {32, 1, 6, 62},     // four rows of four tokens, some seeing into the next block and some not
    {24, 2, 5, 126},    // the same with two heads per token
    {32, 2, 7, 1, 6},   // a shared context: the first tokens see past themselves
    {32, 1, 9, 60, 66}, // shared across a block boundary, later tokens causal again
};

}  // namespace

BOOST_AUTO_TEST_CASE(f32_cache) {
  for (const auto& c : cases) check<quant::f32>(c, 1);
}

BOOST_AUTO_TEST_CASE(f16_cache) {
  for (const auto& c : cases) check<quant::f16>(c, 2);
}

BOOST_AUTO_TEST_CASE(bf16_cache) {
  for (const auto& c : cases) check<quant::bf16>(c, 3);
}

BOOST_AUTO_TEST_CASE(q8_0_cache) {
  for (const auto& c : cases)
    if (c.head_dim % 32 == 0) check<quant::q8_0>(c, 4);
}

// The q8_0 cache rounds each position's 32-value blocks of keys and values
// as the q8_0 format does, and refuses a head_dim it cannot cut into them.
BOOST_AUTO_TEST_CASE(q8_0_cache_rounds_as_q8_0) {
  const model_shape s = cache_shape(2, 2, 2, 64);
  kv_cache<quant::q8_0> cache(s, 40);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> k(64), v(64), got(64);
  // x through q8_0's encoder and decoder
  const auto rounded = [](const std::vector<float>& x) {
    quant::q8_0::block blocks[2];
    std::vector<float> out(64);
    quant::q8_0::quantize(x.data(), blocks, 64);
    quant::q8_0::dequantize(blocks, out.data(), 64);
    return out;
  };
  for (std::size_t pos = 0; pos < 40; ++pos) {
    for (auto& x : k) x = normal(rng);
    for (auto& x : v) x = normal(rng);
    cache.store(1, 1, pos, k.data(), v.data());
    cache.read_key(1, 1, pos, got.data());
    BOOST_TEST(got == rounded(k), boost::test_tools::per_element());
    cache.read_value(1, 1, pos, got.data());
    BOOST_TEST(got == rounded(v), boost::test_tools::per_element());
  }
  BOOST_TEST(cache.bytes() == *kv_cache<quant::q8_0>::bytes_for(s, 40));
  BOOST_CHECK_THROW(kv_cache<quant::q8_0>(cache_shape(2, 2, 2, 48), 40), invalid_argument);
}

// A score far above the rest after many small ones: the rows summed before
// it must be scaled down (exp(old max - new max)), or they would dominate.
BOOST_AUTO_TEST_CASE(late_large_score) {
  kv_cache<quant::f32> cache(cache_shape(1, 1, 1, 16), 200);
  std::vector<float> k(16, 0.0f), v(16, 0.0f);
  for (std::size_t pos = 0; pos < 200; ++pos) {
    k[0] = pos == 150 ? 40.0f : 0.01f * static_cast<float>(pos % 7);
    v[0] = pos == 150 ? 1.0f : -1.0f;
    cache.store(0, 0, pos, k.data(), v.data());
  }
  std::vector<float> q(16, 0.0f), out(16);
  q[0] = 4.0f;  // score 40 at position 150, at most 0.06 elsewhere
  kernels::attention_scratch scratch(16, 1);
  kernels::attend_group(cache, 0, 0, q.data(), out.data(), 16, 1, 1, 16, 200, scratch);
  // p(150) = 1 / (1 + sum_j exp(s_j - 40)), the others ~ exp(-40): out[0] ~ 1
  BOOST_TEST(std::fabs(out[0] - 1.0f) <= 1e-6f);
}

// Scores from 0 down to -100 below the max: weights down to exp(-87) count
// (here visibly, against values of 1e30), the ones under FLT_MIN may be
// dropped (exp(-87) * 1e30 = 1.6e-8 each).
BOOST_AUTO_TEST_CASE(weights_near_float_min) {
  const std::size_t length = 41;
  kv_cache<quant::f32> cache(cache_shape(1, 1, 1, 16), length);
  std::vector<double> score(length);
  std::vector<float> k(16, 0.0f), v(16, 0.0f);
  for (std::size_t pos = 0; pos < length; ++pos) {
    score[pos] = pos == 0 ? 0.0 : -70.0 - 0.75 * static_cast<double>(pos);  // exact in f32
    k[0] = static_cast<float>(4.0 * score[pos]);                             // q = e_0, scale 1/4
    v[0] = pos == 0 ? 1.0f : 0.0f;
    v[1] = pos == 0 ? 0.0f : 1e30f;
    cache.store(0, 0, pos, k.data(), v.data());
  }
  std::vector<float> q(16, 0.0f), out(16);
  q[0] = 1.0f;
  kernels::attention_scratch scratch(16, 1);
  kernels::attend_group(cache, 0, 0, q.data(), out.data(), 16, 1, 1, 16, length, scratch);
  double sum = 0, tail = 0;
  for (std::size_t pos = 0; pos < length; ++pos) sum += std::exp(score[pos]);
  for (std::size_t pos = 1; pos < length; ++pos) tail += std::exp(score[pos]) * 1e30;
  BOOST_TEST(std::fabs(out[0] - 1.0 / sum) <= 1e-6);
  BOOST_TEST(std::fabs(out[1] - tail / sum) <= 1e-5 * tail / sum);
  BOOST_TEST(out[1] > 0.1);  // e^-70.75 * 1e30 = 0.19 leads the sum
}
