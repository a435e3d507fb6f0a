// Token generation loops over a session: prefill the prompt, then pick a
// token from each step's logits and feed it back, until a stop id or the
// token budget.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "glm4/kernels/targets.hpp"
#include "glm4/model/session.hpp"
#include "glm4/sampling/row_scan.hpp"

namespace glm4::inline GLM4_TARGET {

// What generation needs of a session: glm4::session<S, KV, P> for every KV
// format and activation precision, glm4::any_session.
template <class T>
concept token_session = requires(T& run, std::span<const std::int32_t> ids, std::int32_t id) {
  { run.prefill(ids) } -> std::convertible_to<std::span<const float>>;
  { run.decode(id) } -> std::convertible_to<std::span<const float>>;
};

// pick(logits) -> next id. Calls on_token(id) for each generated id (stop
// ids included, then generation ends). Returns the generated ids.
template <token_session Session, class Pick, class OnToken>
std::vector<std::int32_t> generate(Session& run, std::span<const std::int32_t> prompt, std::size_t max_new_tokens,
                                   std::span<const std::int32_t> stop_ids, Pick&& pick, OnToken&& on_token) {
  std::vector<std::int32_t> out;
  if (max_new_tokens == 0) return out;
  auto logits = run.prefill(prompt);
  for (;;) {
    const std::int32_t id = pick(logits);
    out.push_back(id);
    on_token(id);
    if (std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end() || out.size() == max_new_tokens) break;
    logits = run.decode(id);
  }
  return out;
}

template <token_session Session>
std::vector<std::int32_t> generate_greedy(Session& run, std::span<const std::int32_t> prompt,
                                          std::size_t max_new_tokens, std::span<const std::int32_t> stop_ids = {}) {
  return generate(
      run, prompt, max_new_tokens, stop_ids, [](std::span<const float> l) { return sampling::argmax(l); },
      [](std::int32_t) {});
}

}  // namespace glm4::inline GLM4_TARGET
