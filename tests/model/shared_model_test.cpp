// One model, many sessions on many threads: a model is read-only once
// opened, so sessions on different threads (each with its own KV cache and
// thread pool) must give exactly the tokens one session gives alone. The
// server runs its slots this way; CI also runs this test under
// ThreadSanitizer, which reports any write the model or the kernels share.
#define BOOST_TEST_MODULE shared_model
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "glm4/config/shipped_models.hpp"
#include "glm4/glm4.hpp"

using namespace glm4;

namespace {

std::string gguf_path(const std::string& name) { return std::string(GLM4_TEST_DATA_DIR) + "/gguf/" + name; }

// A few prompts of different lengths, so the sessions are at different
// positions (and prefill and decode overlap) while they run side by side.
std::vector<std::vector<std::int32_t>> prompts() {
  return {{1, 2, 3}, {17, 5, 99, 100, 7, 8, 9, 10, 11}, {42}, {300, 301, 302, 303, 304, 305}};
}

std::vector<std::int32_t> continuation(const any_model& model, std::span<const std::int32_t> prompt,
                                       std::size_t compute_threads) {
  any_session run = model.new_session({.context = 64, .threads = compute_threads});
  return generate_greedy(run, prompt, 24);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sessions_on_threads_match_one_session_alone) {
  for (const char* file : {"glm4-small-Q4_K_M.gguf", "glm4-small-Q8_0.gguf"}) {
    const auto model = any_model::open<shipped_models::all>(gguf_path(file));
    const auto inputs = prompts();
    std::vector<std::vector<std::int32_t>> alone;
    for (const auto& p : inputs) alone.push_back(continuation(model, p, 1));

    // Every prompt twice, on its own thread, each session with 2 compute threads.
    std::vector<std::vector<std::int32_t>> together(2 * inputs.size());
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < together.size(); ++i)
      threads.emplace_back([&, i] { together[i] = continuation(model, inputs[i % inputs.size()], 2); });
    threads.clear();  // joins

    for (std::size_t i = 0; i < together.size(); ++i) {
      BOOST_TEST_INFO(file << ", session " << i);
      BOOST_TEST(together[i] == alone[i % inputs.size()], boost::test_tools::per_element());
    }
  }
}
