// Speculative decoding is exact: a pass over a few tokens computes each as
// decode does, bit for bit, so greedy output is the same with prompt-lookup
// drafts as without; sampled output has the same distribution (the
// accept/reject rule, tested on the sampler's own probabilities and on the
// tokens a model generates); and a generation that stops early leaves the
// session as plain decoding would.
#define BOOST_TEST_MODULE speculative
#ifdef GLM4_TEST_HEADER_ONLY  // the static ARM64 build (scripts/test_arm64.sh)
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"
#include "gguf_fixtures.hpp"

using namespace glm4;

namespace {

// A prompt that repeats itself, so that lookup finds drafts, and one that does not.
std::vector<std::vector<std::int32_t>> prompts() {
  return {{5, 6, 7, 8, 9, 10, 5, 6, 7, 8, 9, 10, 5, 6, 7}, {17, 99, 100, 7, 8, 300, 42}};
}

struct generation {
  std::vector<std::int32_t> tokens;
  draft_stats stats;
};

// `count` tokens after `prompt`, which the session holds, its last token's
// logits `logits`.
generation generate_with(any_session& run, sampling::sampler& sampler, std::span<const std::int32_t> prompt,
                         std::span<const float> logits, std::size_t count, draft_options drafts) {
  sampler.accept(prompt);
  token_generator gen(run, sampler, prompt, logits, drafts);
  generation g;
  for (std::size_t i = 0; i < count; ++i) g.tokens.push_back(gen.next(count - i));
  gen.settle();
  BOOST_TEST(run.position() == gen.position());
  g.stats = gen.stats();
  return g;
}

// The first prompt and the greedy continuation of it, in which this random
// model soon runs in circles: a history where lookup finds what comes next.
std::vector<std::int32_t> looping_prompt(const any_model& model) {
  any_session run = model.new_session({.context = 64, .threads = 1});
  auto p = prompts()[0];
  const auto more = generate_greedy(run, p, 40);
  p.insert(p.end(), more.begin(), more.end());
  return p;
}

// An upper bound of chi-square with `df` degrees of freedom exceeded with
// probability ~1e-5 (Wilson-Hilferty, z = 4.26).
double chi_square_bound(double df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + 4.26 * std::sqrt(a), 3.0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(lookup_drafts_what_followed_the_latest_match) {
  const draft_options o{.max_tokens = 3, .ngram_min = 1, .ngram_max = 3};
  const std::vector<std::int32_t> h{1, 2, 3, 4, 9, 2, 3, 5, 6, 2, 3};
  // "2 3" occurred twice before; the latest match is followed by 5 6 2.
  const auto d = lookup_draft(h, 3, o);
  BOOST_TEST(std::vector<std::int32_t>(d.begin(), d.end()) == (std::vector<std::int32_t>{5, 6, 2}),
             boost::test_tools::per_element());
  // The longest suffix wins: "9 2 3" only matches if present.
  const std::vector<std::int32_t> h2{9, 2, 3, 7, 2, 3, 8, 9, 2, 3};
  const auto d2 = lookup_draft(h2, 2, o);
  BOOST_TEST(std::vector<std::int32_t>(d2.begin(), d2.end()) == (std::vector<std::int32_t>{7, 2}),
             boost::test_tools::per_element());
  // The continuation is cut at the history's end, and at max_tokens; in a
  // run of one token, an earlier occurrence gives the whole draft.
  const std::vector<std::int32_t> h3{4, 4, 4};
  BOOST_TEST(lookup_draft(h3, 8, o).size() == 1u);
  const std::vector<std::int32_t> run(12, 4);
  BOOST_TEST(lookup_draft(run, 5, o).size() == 5u);
  BOOST_TEST(lookup_draft(h, 0, o).empty());
  const std::vector<std::int32_t> none{1, 2, 3, 4};
  BOOST_TEST(lookup_draft(none, 4, o).empty());
  BOOST_TEST(lookup_draft(std::span<const std::int32_t>(), 4, o).empty());
  // Below ngram_min nothing matches.
  BOOST_TEST(lookup_draft(h, 3, {.max_tokens = 3, .ngram_min = 3, .ngram_max = 4}).empty());
  BOOST_CHECK_THROW((draft_options{.max_tokens = max_draft_tokens + 1}.validate()), invalid_argument);
  BOOST_CHECK_THROW((draft_options{.max_tokens = 2, .ngram_min = 3, .ngram_max = 2}.validate()), invalid_argument);
}

// The premise of exactness: logits of a pass over up to max_draft_tokens + 1
// tokens equal, bit for bit, those of decoding the same tokens one by one.
BOOST_AUTO_TEST_CASE(a_pass_over_a_few_tokens_computes_each_as_decode_does) {
  const std::vector<std::int32_t> prompt{3, 1, 4, 1, 5, 9, 2, 6};
  std::vector<std::int32_t> batch;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(max_draft_tokens) + 1; ++i) batch.push_back(100 + 7 * i);
  for (const char* file : small_gguf_files) {
    const auto model = any_model::open<shipped_models::all>(gguf_path(file));
    for (const std::size_t threads : {1, 2}) {
      any_session together = model.new_session({.context = 64, .threads = threads});
      any_session one_by_one = model.new_session({.context = 64, .threads = threads});
      together.prefill(prompt);
      one_by_one.prefill(prompt);
      for (const std::size_t n : {std::size_t{2}, std::size_t{5}, batch.size()}) {
        const auto ids = std::span<const std::int32_t>(batch).first(n);
        const std::int64_t at = together.position();
        const auto all = together.prefill(ids, logits_for::all);
        const std::vector<float> rows(all.begin(), all.end());
        const std::size_t vocab = rows.size() / n;
        std::size_t differing = 0;
        for (std::size_t t = 0; t < n; ++t) {
          const auto row = one_by_one.decode(ids[t]);
          for (std::size_t v = 0; v < vocab; ++v) differing += row[v] != rows[t * vocab + v];
        }
        BOOST_TEST_INFO(file << ", " << threads << " threads, " << n << " tokens");
        BOOST_TEST(differing == 0u);
        together.rewind(at);
        one_by_one.rewind(at);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(greedy_output_is_the_same_with_drafts) {
  std::size_t accepted = 0;
  for (const char* file : small_gguf_files) {
    const auto model = any_model::open<shipped_models::all>(gguf_path(file));
    for (const auto& prompt : prompts()) {
      const auto run_with = [&](draft_options d) {
        any_session run = model.new_session({.context = 128, .threads = 2});
        sampling::sampler greedy({.temperature = 0.0f});
        return generate_with(run, greedy, prompt, run.prefill(prompt), 48, d);
      };
      const auto plain = run_with({});
      BOOST_TEST(plain.stats.drafted == 0u);
      BOOST_TEST(plain.stats.passes == 47u);
      for (const draft_options d : {draft_options{.max_tokens = 4},
                                    draft_options{.max_tokens = max_draft_tokens, .ngram_min = 1, .ngram_max = 3}}) {
        const auto drafted = run_with(d);
        BOOST_TEST_INFO(file << ", drafts of " << d.max_tokens << ", " << drafted.stats.accepted << " of "
                             << drafted.stats.drafted << " accepted in " << drafted.stats.passes << " passes");
        BOOST_TEST(drafted.tokens == plain.tokens, boost::test_tools::per_element());
        BOOST_TEST(drafted.stats.passes + drafted.stats.accepted == 47u);
        accepted += drafted.stats.accepted;
      }
    }
  }
  BOOST_TEST(accepted > 100u);  // the drafts were exercised, not just refused
}

// Accept/reject on one row: every token comes out with the probability
// filter() gives it, whichever token was drafted (a likely one, an unlikely
// one, one that top-k removed).
BOOST_AUTO_TEST_CASE(a_draft_leaves_the_sampled_distribution_as_it_was) {
  const std::vector<float> logits{2.0f, 1.5f, 0.3f, -0.4f, 1.0f, -2.0f};
  const sampling::params p{.temperature = 0.9f, .top_k = 5, .seed = 7};
  sampling::sampler probe(p);
  std::vector<float> row = logits;
  std::vector<double> expected(logits.size(), 0.0);
  for (const auto& c : probe.filter(row)) expected[static_cast<std::size_t>(c.id)] = c.p;
  for (const std::int32_t draft : {0, 3, 5}) {
    sampling::sampler s(p);  // no penalties: the tokens it has seen do not matter
    constexpr int draws = 100000;
    std::vector<double> count(logits.size(), 0.0);
    for (int i = 0; i < draws; ++i) ++count[static_cast<std::size_t>(s.sample_with_draft(logits, draft))];
    double chi2 = 0.0;
    int categories = 0;
    for (std::size_t v = 0; v < logits.size(); ++v) {
      if (expected[v] == 0.0) {
        BOOST_TEST(count[v] == 0.0);
        continue;
      }
      const double e = expected[v] * draws;
      chi2 += (count[v] - e) * (count[v] - e) / e;
      ++categories;
    }
    BOOST_TEST_INFO("draft " << draft << ": chi-square " << chi2);
    BOOST_TEST(chi2 < chi_square_bound(categories - 1));
  }
}

// The same on a model's generations: per position, the tokens sampled with
// drafts and without, over many seeds, are two samples of one distribution.
BOOST_AUTO_TEST_CASE(sampled_output_has_the_same_distribution_with_drafts) {
  const auto model = any_model::open<shipped_models::all>(gguf_path("glm4-small-Q8_0.gguf"));
  const auto prompt = looping_prompt(model);
  constexpr std::size_t runs = 400, length = 6;
  any_session run = model.new_session({.context = 128, .threads = 2});
  const auto last = run.prefill(prompt);
  const std::vector<float> prompt_logits(last.begin(), last.end());  // each run starts from them
  std::vector<std::map<std::int32_t, double>> plain(length), drafted(length);
  std::size_t drafted_tokens = 0, accepted = 0;
  for (std::size_t seed = 0; seed < runs; ++seed) {
    for (const bool with_drafts : {false, true}) {
      run.rewind(static_cast<std::int64_t>(prompt.size()));
      // Independent samples: different seeds with drafts and without.
      // One-token n-grams draft on most steps, however the target's kernels
      // round this random model's logits (its loops vary with them).
      sampling::sampler s({.temperature = 0.3f, .top_k = 4, .seed = (with_drafts ? 100000 : 1000) + seed});
      const auto g = generate_with(run, s, prompt, prompt_logits, length,
                                   with_drafts ? draft_options{.max_tokens = 4, .ngram_min = 1} : draft_options{});
      drafted_tokens += g.stats.drafted;
      accepted += g.stats.accepted;
      for (std::size_t i = 0; i < length; ++i) ++(with_drafts ? drafted : plain)[i][g.tokens[i]];
    }
  }
  // Both branches of the rule ran often: drafts accepted, and refused.
  BOOST_TEST_INFO(accepted << " of " << drafted_tokens << " drafts accepted");
  BOOST_TEST((accepted > runs / 8 && drafted_tokens - accepted > runs / 8));
  for (std::size_t i = 0; i < length; ++i) {
    // Two-sample chi-square over the tokens seen; rare ones pooled.
    std::map<std::int32_t, std::pair<double, double>> both;
    for (const auto& [id, n] : plain[i]) both[id].first = n;
    for (const auto& [id, n] : drafted[i]) both[id].second = n;
    double chi2 = 0.0, rare_a = 0.0, rare_b = 0.0;
    int categories = 0;
    for (const auto& [id, ab] : both) {
      if (ab.first + ab.second < 10) {
        rare_a += ab.first;
        rare_b += ab.second;
        continue;
      }
      chi2 += (ab.first - ab.second) * (ab.first - ab.second) / (ab.first + ab.second);
      ++categories;
    }
    if (rare_a + rare_b > 0) {
      chi2 += (rare_a - rare_b) * (rare_a - rare_b) / (rare_a + rare_b);
      ++categories;
    }
    BOOST_TEST_INFO("position " << i << ": chi-square " << chi2 << " over " << categories << " categories");
    BOOST_TEST((categories < 2 || chi2 < chi_square_bound(categories - 1)));
  }
}

// A generation that ends before the drafts it accepted: settle() rewinds the
// session to where plain decoding stops, and what follows is the same.
BOOST_AUTO_TEST_CASE(settle_leaves_the_session_as_plain_decoding_would) {
  const auto model = any_model::open<shipped_models::all>(gguf_path("glm4-small-Q4_0.gguf"));
  const auto prompt = looping_prompt(model);
  any_session plain = model.new_session({.context = 128, .threads = 1});
  any_session drafted = model.new_session({.context = 128, .threads = 1});
  sampling::sampler a({.temperature = 0.0f}), b({.temperature = 0.0f});
  token_generator gen_a(plain, a, prompt, plain.prefill(prompt));
  token_generator gen_b(drafted, b, prompt, drafted.prefill(prompt), {.max_tokens = 8, .ngram_min = 1});
  for (int i = 0; i < 10; ++i) BOOST_TEST(gen_a.next() == gen_b.next());
  BOOST_TEST(gen_b.stats().accepted > 0u);
  gen_a.settle();
  gen_b.settle();
  BOOST_TEST(plain.position() == drafted.position());
  BOOST_TEST(plain.position() == static_cast<std::int64_t>(prompt.size()) + 9);
  const auto next = gen_a.history().back();
  const auto l1 = plain.decode(next);
  const std::vector<float> expected(l1.begin(), l1.end());
  const auto l2 = drafted.decode(next);
  BOOST_TEST(std::vector<float>(l2.begin(), l2.end()) == expected, boost::test_tools::per_element());
}

// Drafts never run past the context: generation fills it to the last row.
BOOST_AUTO_TEST_CASE(drafts_stop_at_the_end_of_the_context) {
  const auto model = any_model::open<shipped_models::all>(gguf_path("glm4-small-Q4_0.gguf"));
  const auto prompt = prompts()[0];
  constexpr std::int64_t context = 40;
  any_session run = model.new_session({.context = context, .threads = 1});
  sampling::sampler greedy({.temperature = 0.0f});
  token_generator gen(run, greedy, prompt, run.prefill(prompt), {.max_tokens = max_draft_tokens, .ngram_min = 1});
  std::size_t produced = 0;
  while (gen.has_room()) {
    gen.next();
    ++produced;
    BOOST_REQUIRE(run.position() <= context);
  }
  // Every row filled, and one token more (its logits came from the last row).
  BOOST_TEST(gen.position() == context);
  BOOST_TEST(produced == static_cast<std::size_t>(context) - prompt.size() + 1);
  BOOST_CHECK_THROW(gen.next(), context_overflow);
}
