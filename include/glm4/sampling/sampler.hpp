// Picks the next token from a row of logits: penalties → temperature → top-k
// → top-p → min-p → a seeded draw (the order of HF transformers and llama.cpp).
//
// Built for a 151552-wide row at every step: no full sort and no allocation
// after the first call. Greedy and top-k are one SIMD scan (row_scan.hpp):
// top-k keeps a heap of k entries and only the few tokens that beat the
// heap's worst stop the scan. Top-p without top-k first keeps only tokens
// within a factor 1e-3 of the best and sorts those; the nucleus lies inside
// them whenever they hold top_p of the mass, as they do for any peaked
// distribution, and the cut is retried wider otherwise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/sampling/params.hpp"
#include "glm4/sampling/penalties.hpp"
#include "glm4/sampling/rng.hpp"
#include "glm4/sampling/row_scan.hpp"

namespace glm4::inline GLM4_TARGET::sampling {

// A token that survived filtering: its logit after penalties (before the
// temperature) and its probability among the survivors.
struct candidate {
  std::int32_t id;
  float logit;
  float p;
};

class sampler {
 public:
  explicit sampler(params p = {}) : params_(std::move(p)), rng_(params_.seed) { validate(params_); }

  const params& parameters() const { return params_; }

  // Tokens the penalties count as seen. sample() adds the tokens it returns;
  // feed the prompt here too for HF's semantics, where the repetition
  // penalty covers the prompt.
  void accept(std::int32_t id) { seen_.add(id); }
  void accept(std::span<const std::int32_t> ids) { seen_.add(ids); }

  bool is_stop(std::int32_t id) const {
    return std::find(params_.stop_ids.begin(), params_.stop_ids.end(), id) != params_.stop_ids.end();
  }

  // Starts a new sequence: no tokens seen, the generator back at its seed.
  void reset() {
    seen_.clear();
    rng_ = xoshiro256ss(params_.seed);
  }

  // Applies the penalties to `logits` in place (the row is the model's
  // scratch output) and returns the tokens that may be drawn with their
  // probabilities. With any truncation (greedy, top-k, top-p, min-p) they
  // come most likely first, ties by lower id; without, the whole vocabulary
  // comes in id order, as sorting it would cost more than the draw.
  // The span stays valid until the next call.
  std::span<const candidate> filter(std::span<float> logits) {
    if (logits.empty()) throw invalid_argument("glm4::sampling::sampler: empty logits row");
    if (weights_.size() < logits.size()) {
      weights_.resize(logits.size());
      candidates_.reserve(logits.size());
    }
    candidates_.clear();
    apply_penalties(logits, seen_, params_.repetition_penalty, params_.frequency_penalty,
                    params_.presence_penalty);

    if (params_.temperature == 0.0f) {
      const auto best = argmax(logits);
      candidates_.push_back({best, logits[static_cast<std::size_t>(best)], 1.0f});
      return candidates_;
    }
    const float inv_t = 1.0f / params_.temperature;
    const bool top_k_cuts = params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < logits.size();
    if (!top_k_cuts && params_.top_p == 1.0f && params_.min_p == 0.0f) return whole_vocabulary(logits, inv_t);

    // Z is the mass top-p measures against: the top-k set's own after top-k
    // (HF renormalises there), otherwise the whole vocabulary's.
    double z = 0.0;
    if (top_k_cuts) {
      select_top_k(logits, static_cast<std::size_t>(params_.top_k));
      z = set_weights(inv_t);
    } else {
      z = collect_nucleus_superset(logits, inv_t);
    }
    // Until normalise(), each candidate's p holds its weight relative to the
    // best: exp((logit - best) / T).
    std::size_t keep = candidates_.size();
    if (params_.top_p < 1.0f) {
      double before = 0.0;  // mass of the tokens ahead of i
      for (std::size_t i = 0; i < keep; ++i) {
        if (before >= params_.top_p * z) {
          keep = i;
          break;
        }
        before += candidates_[i].p;
      }
    }
    // The best has weight 1, so this keeps p_i >= min_p * p_max.
    while (keep > 1 && candidates_[keep - 1].p < params_.min_p) --keep;
    candidates_.resize(keep);
    normalise();
    return candidates_;
  }

  // A session's logits are read-only: they are copied into the sampler's
  // own row first (a memcpy, nothing next to a forward pass). A template so
  // that a mutable row (a std::vector<float>, which converts to both spans)
  // takes the non-template overload below instead of being ambiguous.
  template <class = void>
  std::int32_t sample(std::span<const float> logits) {
    row_.assign(logits.begin(), logits.end());
    return sample(std::span<float>(row_));
  }

  // filter(), then one draw; the drawn token counts as seen from now on.
  std::int32_t sample(std::span<float> logits) {
    const std::int32_t picked = draw(filter(logits), -1, 1.0);
    seen_.add(picked);
    return picked;
  }

  // The token at a position for which `draft` was proposed (speculative
  // decoding): the draft with its probability p(draft) under filter(), else
  // a draw from the other candidates renormalised. The result has exactly
  // sample()'s distribution: p(draft) for the draft, and for any other x
  // (1 - p(draft)) p(x) / (1 - p(draft)) = p(x); the accept/reject rule of
  // speculative sampling (Leviathan et al. 2023) for a drafter that proposes
  // one token with certainty. Greedy accepts exactly the argmax.
  std::int32_t sample_with_draft(std::span<const float> logits, std::int32_t draft) {
    row_.assign(logits.begin(), logits.end());
    const std::span<const candidate> c = filter(std::span<float>(row_));
    const auto d = std::find_if(c.begin(), c.end(), [&](const candidate& x) { return x.id == draft; });
    const double p_draft = d == c.end() ? 0.0 : d->p;
    std::int32_t picked = draft;
    if (!(p_draft > 0.0 && rng_.uniform() < p_draft)) picked = draw(c, draft, 1.0 - p_draft);
    seen_.add(picked);
    return picked;
  }

 private:
  // One draw from `c` leaving out `skip` (-1: none), whose probabilities
  // without it sum to `mass`.
  std::int32_t draw(std::span<const candidate> c, std::int32_t skip, double mass) {
    const double u = rng_.uniform() * mass;
    double cumulative = 0.0;
    std::int32_t picked = -1;
    for (const candidate& x : c) {
      if (x.id == skip) continue;
      picked = x.id;  // the last one stands when rounding leaves the sum just under u
      cumulative += x.p;
      if (u < cumulative) break;
    }
    return picked;
  }

  // Most likely first; equal logits by lower id, so results do not depend on
  // the order a selection algorithm happens to visit them in.
  static bool better(const candidate& a, const candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  }

  std::span<const candidate> whole_vocabulary(std::span<const float> logits, float inv_t) {
    const double inv_sum = 1.0 / exp_weights(logits, row_max(logits), inv_t, weights_);
    for (std::size_t i = 0; i < logits.size(); ++i)
      candidates_.push_back({static_cast<std::int32_t>(i), logits[i], static_cast<float>(weights_[i] * inv_sum)});
    return candidates_;
  }

  // The k best by `better`, best first. The heap's front is its worst entry,
  // the bar a later token must clear; a token equal to it has a higher id and
  // loses the tie.
  void select_top_k(std::span<const float> logits, std::size_t k) {
    for (std::size_t i = 0; i < k; ++i) candidates_.push_back({static_cast<std::int32_t>(i), logits[i], 0.0f});
    std::make_heap(candidates_.begin(), candidates_.end(), better);
    float bar = candidates_.front().logit;
    for (std::size_t i = next_above(logits, k, bar); i < logits.size(); i = next_above(logits, i + 1, bar)) {
      std::pop_heap(candidates_.begin(), candidates_.end(), better);
      candidates_.back() = {static_cast<std::int32_t>(i), logits[i], 0.0f};
      std::push_heap(candidates_.begin(), candidates_.end(), better);
      bar = candidates_.front().logit;
    }
    std::sort(candidates_.begin(), candidates_.end(), better);
  }

  // Sorted candidates get p = exp((logit - best) / T); returns their sum.
  double set_weights(float inv_t) {
    const float best = candidates_.front().logit;
    double sum = 0.0;
    for (candidate& c : candidates_) {
      c.p = std::exp((c.logit - best) * inv_t);
      sum += c.p;
    }
    return sum;
  }

  // Candidates take their weights from weights_; returns their sum.
  double take_weights() {
    double sum = 0.0;
    for (candidate& c : candidates_) {
      c.p = weights_[static_cast<std::size_t>(c.id)];
      sum += c.p;
    }
    return sum;
  }

  // Without top-k: gathers, best first with weights, every token that top-p
  // and min-p could keep, and returns the whole vocabulary's mass. Tokens
  // below min_p times the best cannot survive min-p. For top-p, the tokens
  // above a weight `cut` are a prefix of the sorted order; once they hold
  // top_p of the mass, the nucleus is among them.
  double collect_nucleus_superset(std::span<const float> logits, float inv_t) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    const float m = row_max(logits);
    // With top-p the whole row's weights are needed for Z anyway; the
    // candidates then take theirs from the same computation.
    const bool top_p_on = params_.top_p < 1.0f;
    const double z = top_p_on ? exp_weights(logits, m, inv_t, weights_) : 0.0;
    const float floor = params_.min_p > 0.0f ? std::log(params_.min_p) : -inf;
    // The scan compares logits, not weights: a token with log-weight `bound`
    // has logit m + bound * T. The slack, ~1000 ulps of m, keeps rounding
    // between the two forms from dropping a token min-p keeps; the exact
    // tests run on the weights after sorting.
    const float slack = 1e-4f * (1.0f + std::abs(m));
    for (const float cut : {std::log(1e-3f), std::log(1e-7f), -inf}) {
      const float bound = top_p_on ? std::max(cut, floor) : floor;
      const float bar = m + bound * params_.temperature - slack;
      candidates_.clear();
      for (std::size_t i = next_above(logits, 0, bar); i < logits.size(); i = next_above(logits, i + 1, bar))
        candidates_.push_back({static_cast<std::int32_t>(i), logits[i], 0.0f});
      std::sort(candidates_.begin(), candidates_.end(), better);
      const double held = top_p_on ? take_weights() : set_weights(inv_t);
      if (!top_p_on || held >= params_.top_p * z || bound == floor) break;
    }
    return z;
  }

  void normalise() {
    double sum = 0.0;
    for (const candidate& c : candidates_) sum += c.p;
    for (candidate& c : candidates_) c.p = static_cast<float>(c.p / sum);
  }

  params params_;
  xoshiro256ss rng_;
  token_counts seen_;
  // Reused from row to row: no allocation after the first.
  std::vector<candidate> candidates_;
  std::vector<float> weights_;  // exp_weights' output, one per token
  std::vector<float> row_;      // sample(span<const float>)'s copy of the logits
};

}  // namespace glm4::inline GLM4_TARGET::sampling
