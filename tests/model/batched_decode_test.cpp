// Sessions that advance together in one forward pass (batched decode, a
// prompt chunk beside other sessions' steps) compute what each would alone:
// bit for bit below the int8 panels' batch, to their rounding above it; a
// refused batch changes no session.
#define BOOST_TEST_MODULE batched_decode
#ifdef GLM4_TEST_HEADER_ONLY  // the static ARM64 build (scripts/test_arm64.sh)
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"
#include "gguf_fixtures.hpp"

using namespace glm4;

namespace {

// The fixtures' file types only: the model instantiated for fewer schemes
// compiles in a fraction of the time.
any_model open_fixture(const std::string& name) {
  using types = file_types::list<file_types::f16, file_types::q4_0, file_types::q4_k, file_types::q6_k,
                                 file_types::q8_0>;
  return any_model::open<config_list<shipped_models::glm4_small>, types>(gguf_path(name));
}

// Prompts of different lengths, so that the sessions sit at different positions.
std::vector<std::int32_t> prompt_of(std::size_t i) {
  std::vector<std::int32_t> p;
  for (std::size_t t = 0; t < 3 + 2 * i; ++t) p.push_back(static_cast<std::int32_t>(11 + 37 * i + 5 * t));
  return p;
}

// `count` sessions that hold prompt_of(i) each, and their last logits' argmax.
struct sessions {
  std::vector<std::unique_ptr<any_session>> runs;
  std::vector<std::int32_t> next;
};
sessions prefilled(const any_model& model, std::size_t count, std::size_t threads) {
  sessions s;
  for (std::size_t i = 0; i < count; ++i) {
    s.runs.push_back(std::make_unique<any_session>(model.new_session({.context = 64, .threads = threads})));
    s.next.push_back(sampling::argmax(s.runs.back()->prefill(prompt_of(i))));
  }
  return s;
}

// One step of every session in `s` together, each feeding its `next`;
// then `next` is each one's argmax.
void step_together(sessions& s) {
  std::vector<any_session::batch_item> items;
  for (std::size_t i = 0; i < s.runs.size(); ++i) items.push_back({*s.runs[i], std::span(&s.next[i], 1)});
  any_session::forward_together(items);
  for (std::size_t i = 0; i < s.runs.size(); ++i) s.next[i] = sampling::argmax(s.runs[i]->logits());
}

std::vector<std::int64_t> positions(const sessions& s) {
  std::vector<std::int64_t> p;
  for (const auto& r : s.runs) p.push_back(r->position());
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sessions_decoding_together_compute_what_each_decodes_alone) {
  for (const char* file : small_gguf_files) {
    const auto model = open_fixture(file);
    for (const std::size_t threads : {1, 2}) {
      // 9: the tile of 8 tokens (two rows at a time where the format has it), then one
      for (const std::size_t count : {std::size_t{2}, std::size_t{5}, std::size_t{9}}) {
        sessions together = prefilled(model, count, threads), alone = prefilled(model, count, threads);
        std::size_t differing = 0;
        for (int step = 0; step < 6; ++step) {
          step_together(together);
          for (std::size_t i = 0; i < count; ++i) {
            const auto row = alone.runs[i]->decode(alone.next[i]);
            const auto same = together.runs[i]->logits();
            BOOST_REQUIRE(same.size() == row.size());
            for (std::size_t v = 0; v < row.size(); ++v) differing += row[v] != same[v];
            alone.next[i] = sampling::argmax(row);
          }
        }
        BOOST_TEST_INFO(file << ", " << threads << " threads, " << count << " sessions");
        BOOST_TEST(differing == 0u);
        BOOST_TEST(positions(together) == positions(alone));
      }
    }
  }
}

// A new request's prompt chunk (every row's logits) beside two sessions'
// decode steps, as a server mixes them.
BOOST_AUTO_TEST_CASE(a_prompt_chunk_runs_beside_decode_steps) {
  const auto model = open_fixture("glm4-small-Q4_K_M.gguf");
  sessions together = prefilled(model, 2, 2), alone = prefilled(model, 2, 2);
  any_session joining = model.new_session({.context = 64, .threads = 2});
  any_session joining_alone = model.new_session({.context = 64, .threads = 2});
  const std::vector<std::int32_t> chunk{40, 41, 42, 43, 44, 45, 46};
  std::vector<any_session::batch_item> items{{*together.runs[0], std::span(&together.next[0], 1)},
                                             {joining, chunk, logits_for::all},
                                             {*together.runs[1], std::span(&together.next[1], 1)}};
  any_session::forward_together(items);
  const auto chunk_rows = joining_alone.prefill(chunk, logits_for::all);
  BOOST_TEST(std::ranges::equal(joining.logits(), chunk_rows));
  BOOST_TEST(joining.position() == 7);
  for (std::size_t i = 0; i < 2; ++i) BOOST_TEST(std::ranges::equal(together.runs[i]->logits(), alone.runs[i]->decode(alone.next[i])));
}

// From int8_panel_min_tokens rows on, the matmuls take the prompt panels,
// which sum a row's blocks in another order (and a value that then rounds
// to another int8 moves the next layer's input a step): the logits move by
// the panels' rounding, as a prompt's do against decode (~1 % of the
// largest logit on this two-layer random model), never by a wrong cache or
// position. Both sides feed the same tokens.
BOOST_AUTO_TEST_CASE(a_batch_on_the_panels_stays_within_rounding) {
  const auto model = open_fixture("glm4-small-Q4_0.gguf");
  const std::size_t count = kernels::int8_panel_min_tokens + 2;
  sessions together = prefilled(model, count, 2), alone = prefilled(model, count, 1);
  float worst = 0, largest = 0;
  for (int step = 0; step < 4; ++step) {
    step_together(together);
    for (std::size_t i = 0; i < count; ++i) {
      const auto row = alone.runs[i]->decode(alone.next[i]);
      const auto same = together.runs[i]->logits();
      for (std::size_t v = 0; v < row.size(); ++v) {
        worst = std::max(worst, std::abs(row[v] - same[v]));
        largest = std::max(largest, std::abs(row[v]));
      }
      alone.next[i] = sampling::argmax(row);
    }
    together.next = alone.next;
  }
  BOOST_TEST_MESSAGE("largest difference " << worst << " of logits up to " << largest);
  BOOST_TEST(worst > 0.0f);  // the panels ran
  BOOST_TEST(worst <= 0.02f * largest);
}

BOOST_AUTO_TEST_CASE(a_refused_batch_changes_no_session) {
  const auto model = open_fixture("glm4-small-Q8_0.gguf");
  sessions s = prefilled(model, 3, 1);
  const auto before = positions(s);
  const std::int32_t outside = 1 << 30;
  const auto refused = [&](std::vector<any_session::batch_item> items) {
    BOOST_CHECK_THROW(any_session::forward_together(items), error);
    BOOST_TEST(positions(s) == before);
  };
  refused({{*s.runs[0], std::span(&s.next[0], 1)}, {*s.runs[0], std::span(&s.next[1], 1)}});  // twice
  refused({{*s.runs[0], std::span(&s.next[0], 1)}, {*s.runs[1], std::span(&outside, 1)}});
  refused({{*s.runs[0], std::span(&s.next[0], 1)}, {*s.runs[1], {}}});
  // One session at the end of its context stops the batch before any runs.
  any_session full = model.new_session({.context = 4, .threads = 1});
  full.prefill(std::vector<std::int32_t>{1, 2, 3, 4});
  BOOST_CHECK_THROW((any_session::forward_together(std::vector<any_session::batch_item>{
                        {*s.runs[0], std::span(&s.next[0], 1)}, {full, std::span(&s.next[1], 1)}})),
                    context_overflow);
  BOOST_TEST(positions(s) == before);
  // More tokens than the first session's batch, sessions of another model
  // or KV cache type.
  any_session small_batch = model.new_session({.context = 64, .threads = 1, .batch = 2});
  refused({{small_batch, std::span(&s.next[0], 1)}, {*s.runs[1], std::vector<std::int32_t>{5, 6}}});
  any_session other_kv = model.new_session({.context = 64, .threads = 1}, kv_cache_type::f32);
  refused({{*s.runs[0], std::span(&s.next[0], 1)}, {other_kv, std::span(&s.next[1], 1)}});
  const auto other_model = open_fixture("glm4-small-Q8_0.gguf");
  any_session elsewhere = other_model.new_session({.context = 64, .threads = 1});
  refused({{*s.runs[0], std::span(&s.next[0], 1)}, {elsewhere, std::span(&s.next[1], 1)}});

  // And after all that, they still decode as sessions that saw none of it.
  sessions fresh = prefilled(model, 3, 1);
  step_together(s);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(std::ranges::equal(s.runs[i]->logits(), fresh.runs[i]->decode(fresh.next[i])));
}
