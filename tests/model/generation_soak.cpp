// A long generation with a seeded sampler, run once per thread count:
//
//   model_generation_soak MODEL_DIR TOKENS CONTEXT THREADS...
//   model_generation_soak tests/data/models/glm4-small 10000 8192 1 2 3 4
//
// Checks two things a short test cannot see:
//   - memory: the process's VmRSS, sampled every 250 tokens, stays flat once
//     the KV cache has been filled (measured from there, so that a cache
//     whose pages are touched only as positions fill would pass too);
//   - determinism: every thread count writes the same tokens as the first.
// TOKENS may exceed CONTEXT (glm4-small holds 8192 positions): when the cache
// is full, the session keeps the prompt and the newer half of what followed,
// rewinds to the prompt and prefills that half again, as llama.cpp's context
// shift does, so the prefill path runs at long positions too.
// Prints one line per thread count and exits 0, 1 when a check fails, 2 on a
// bad command line.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"

namespace {

using glm4_small = glm4::model<glm4::shipped_models::glm4_small, glm4::weights::bf16>;

// A per-token leak of 100 bytes over 10,000 tokens would pass this; the
// loop itself allocates nothing once the cache is full.
constexpr std::int64_t rss_growth_limit_kib = 1024;
constexpr std::int64_t rss_sample_every = 250;

std::int64_t resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

struct soak_result {
  std::vector<std::int32_t> tokens;
  double seconds = 0;
  int shifts = 0;                // times the full cache was shifted
  std::int64_t rss_prompt = -1;  // VmRSS after the prompt's prefill
  std::int64_t rss_full = -1;    // when the cache first filled
  std::int64_t rss_peak = -1;  // the highest sample after that
  std::int64_t rss_end = -1;
};

soak_result soak(const glm4_small& model, std::span<const std::int32_t> prompt, std::int64_t tokens,
                 std::int64_t context, std::size_t threads) {
  glm4::session<glm4::weights::bf16, glm4::quant::f16> run(model, {.context = context, .threads = threads});
  glm4::sampling::params p;  // temperature 1 over the whole vocabulary: every token can come up
  p.seed = 20261204;
  p.stop_ids.clear();
  glm4::sampling::sampler sampler(p);

  soak_result r;
  r.tokens.reserve(static_cast<std::size_t>(tokens));
  std::vector<float> row;
  const auto started = std::chrono::steady_clock::now();
  std::span<const float> logits = run.prefill(prompt);
  r.rss_prompt = resident_kib();
  for (std::int64_t n = 0; n < tokens; ++n) {
    row.assign(logits.begin(), logits.end());
    const std::int32_t id = sampler.sample(row);
    r.tokens.push_back(id);
    if (run.position() == context) {
      if (r.rss_full < 0) r.rss_full = r.rss_peak = resident_kib();
      // Keep the prompt and the newer half of what came after it (the newest
      // token included), run again from just after the prompt.
      const std::size_t kept = static_cast<std::size_t>(context - static_cast<std::int64_t>(prompt.size())) / 2;
      run.rewind(static_cast<std::int64_t>(prompt.size()));
      logits = run.prefill(std::span(r.tokens).last(kept));
      ++r.shifts;
    } else {
      logits = run.decode(id);
    }
    if (r.rss_full >= 0 && n % rss_sample_every == 0) r.rss_peak = std::max(r.rss_peak, resident_kib());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  r.rss_end = resident_kib();
  if (r.rss_full >= 0) r.rss_peak = std::max(r.rss_peak, r.rss_end);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: model_generation_soak MODEL_DIR TOKENS CONTEXT THREADS...\n"
                 "  e.g. model_generation_soak tests/data/models/glm4-small 10000 8192 1 2 3 4\n";
    return 2;
  }
  const std::string dir = argv[1];
  const std::int64_t tokens = std::stoll(argv[2]);
  const std::int64_t context = std::stoll(argv[3]);
  std::vector<std::size_t> thread_counts;
  for (int i = 4; i < argc; ++i) thread_counts.push_back(std::stoul(argv[i]));

  const auto model = glm4_small::load(dir);
  const auto tokenizer = glm4::open_tokenizer(dir);
  const auto prompt = tokenizer.encode("Once upon a time, in a village by the sea, there lived");
  if (static_cast<std::int64_t>(prompt.size()) * 2 >= context) {
    std::cerr << "model_generation_soak: the context " << context << " must be over twice the prompt's "
              << prompt.size() << " tokens\n";
    return 2;
  }
  std::cout << dir << ": " << tokens << " tokens, context " << context << " (the model holds "
            << glm4_small::shape.max_context << "), prompt " << prompt.size() << " tokens, f16 KV cache, seeded sampler\n";

  bool ok = true;
  std::vector<std::int32_t> first;
  for (const std::size_t threads : thread_counts) {
    const soak_result r = soak(model, prompt, tokens, context, threads);
    std::printf("threads %zu: %lld tokens in %.1f s (%.0f tokens/s), %d context shifts; VmRSS %.1f MiB after the "
                "prompt, %.1f MiB when the cache filled, peak %.1f MiB after, end %.1f MiB",
                threads, static_cast<long long>(r.tokens.size()), r.seconds, static_cast<double>(r.tokens.size()) / r.seconds,
                r.shifts, static_cast<double>(r.rss_prompt) / 1024, static_cast<double>(r.rss_full) / 1024,
                static_cast<double>(r.rss_peak) / 1024, static_cast<double>(r.rss_end) / 1024);
    if (r.rss_full < 0) {
      std::printf(" (the cache never filled: no growth measured)");
    } else if (r.rss_peak - r.rss_full > rss_growth_limit_kib) {
      std::printf("\nFAIL: VmRSS grew %lld KiB after the cache filled, limit %lld KiB",
                  static_cast<long long>(r.rss_peak - r.rss_full), static_cast<long long>(rss_growth_limit_kib));
      ok = false;
    }
    std::printf("\n");
    if (first.empty()) {
      first = r.tokens;
    } else if (r.tokens != first) {
      const auto at = std::mismatch(first.begin(), first.end(), r.tokens.begin()).first - first.begin();
      std::printf("FAIL: %zu threads write token %lld as %d, %zu threads as %d\n", thread_counts.front(),
                  static_cast<long long>(at), first[static_cast<std::size_t>(at)], threads,
                  r.tokens[static_cast<std::size_t>(at)]);
      ok = false;
    }
  }
  if (ok && thread_counts.size() > 1) std::printf("the same %lld tokens with every thread count\n", static_cast<long long>(tokens));
  return ok ? 0 : 1;
}
