// The sampling flags `glm4 run` and `glm4 chat` share, named and defaulted as
// llama-cli's, and the sampler parameters they make.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <glm4/glm4.hpp>

namespace glm4::app {

struct sampling_options {
  std::int64_t n_predict = -1;  // -1: until a stop token or the context is full
  float temperature = 0.8f;     // 0: greedy
  std::int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::uint64_t seed = 0;
  std::vector<std::string> stop;  // stop strings
  bool ignore_eos = false;
};

inline void add_sampling_options(CLI::App& command, sampling_options& o) {
  command.add_option("-n,--n-predict,--max-new-tokens", o.n_predict, "tokens to generate; -1: until a stop token or the context is full")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 40));
  command.add_option("--temp", o.temperature, "temperature; 0: greedy")->capture_default_str()->check(CLI::Range(0.0f, 1e6f));
  command.add_option("--top-k", o.top_k, "keep the k most likely tokens; 0: off")->capture_default_str()->check(CLI::NonNegativeNumber);
  command.add_option("--top-p", o.top_p, "nucleus: keep tokens up to this probability mass; 1: off")
      ->capture_default_str()
      ->check(CLI::Range(1e-6f, 1.0f));
  command.add_option("--min-p", o.min_p, "drop tokens less likely than min-p times the best; 0: off")
      ->capture_default_str()
      ->check(CLI::Range(0.0f, 1.0f));
  command.add_option("--repeat-penalty", o.repeat_penalty, "penalty on tokens already seen (HF's repetition_penalty); 1: off")
      ->capture_default_str()
      ->check(CLI::Range(1e-6f, 1e6f));
  command.add_option("--presence-penalty", o.presence_penalty, "subtracted from a seen token's logit; 0: off")->capture_default_str();
  command.add_option("--frequency-penalty", o.frequency_penalty, "subtracted per occurrence of a seen token; 0: off")->capture_default_str();
  command.add_option("-s,--seed", o.seed, "random seed")->capture_default_str();
  command.add_option("--stop", o.stop, "stop when the text contains this string (repeatable); it is not printed")
      ->allow_extra_args(false);
  command.add_flag("--ignore-eos", o.ignore_eos, "keep generating past the model's end-of-turn tokens");
}

// `end_ids`: the tokens that end generation (unless --ignore-eos).
inline sampling::params sampler_params(const sampling_options& o, std::vector<std::int32_t> end_ids) {
  sampling::params p;
  p.temperature = o.temperature;
  p.top_k = o.top_k;
  p.top_p = o.top_p;
  p.min_p = o.min_p;
  p.repetition_penalty = o.repeat_penalty;
  p.presence_penalty = o.presence_penalty;
  p.frequency_penalty = o.frequency_penalty;
  p.seed = o.seed;
  p.stop_ids = o.ignore_eos ? std::vector<std::int32_t>{} : std::move(end_ids);
  return p;
}

inline sampling::params sampler_params(const sampling_options& o, const tokenizer& tok) {
  return sampler_params(o, chat::end_of_turn_ids(tok));
}

}  // namespace glm4::app
