// A session's buffers are sized before they are allocated: a context whose
// KV cache the machine cannot hold, or whose size overflows, is an
// invalid_argument naming both numbers, never a std::bad_alloc; a batch
// beyond the context is cut to it.
#define BOOST_TEST_MODULE session_memory
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "glm4/model/session.hpp"
#include "glm4/model/weights.hpp"
#include "memory_source.hpp"

using namespace glm4;

namespace {

// A tiny network that claims an enormous context: its weights are small,
// only the sessions asked of it are large.
std::shared_ptr<const transformer<weights::f32>> huge_context_net(std::int64_t max_context) {
  model_shape s;
  s.style = block_style::glm4;
  s.vocab_size = 97;
  s.num_kv_heads = 2;
  s.num_heads = 4;
  s.head_dim = 16;
  s.hidden_size = 32;
  s.intermediate_size = 48;
  s.num_layers = 2;
  s.max_context = max_context;
  testing::memory_source src(s, 1);
  return std::make_shared<const transformer<weights::f32>>(s, load_weights<weights::f32>(src, s, {.note = nullptr}));
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "(no invalid_argument thrown)";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_context_larger_than_memory_is_refused_with_both_numbers) {
  const auto net = huge_context_net(std::int64_t{1} << 40);
  // 2^36 positions x 2 layers x 2 KV heads x 16 values x 4 bytes, keys and values: 32 TiB.
  const std::string message =
      error_of([&] { session<weights::f32> run(net, {.context = std::int64_t{1} << 36, .threads = 1}); });
  BOOST_TEST(message.find("a session of context 68719476736 and batch 128 (KV cache in f32) needs ") == 0, message);
  BOOST_TEST(message.find("KV cache 35184372088832") != std::string::npos, message);
  BOOST_TEST(message.find("bytes this process can have (") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_context_whose_size_overflows_is_refused) {
  const auto net = huge_context_net(std::int64_t{1} << 62);
  const std::string message =
      error_of([&] { session<weights::f32> run(net, {.context = std::int64_t{1} << 62, .threads = 1}); });
  BOOST_TEST(message.find("needs more bytes than a size_t counts") != std::string::npos, message);
}

// AddressSanitizer and ThreadSanitizer reserve terabytes of shadow address
// space at start-up, so under them no address space limit can be set that
// leaves the process able to allocate at all.
constexpr bool sanitizer_reserves_address_space =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

boost::unit_test::precondition where_address_space_can_be_limited() {
  return boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result r(!sanitizer_reserves_address_space);
    r.message() << "skipped: a sanitizer's shadow memory takes the address space a limit would leave";
    return r;
  });
}

// Under `ulimit -v` the address space left is the limit: a context that
// fits the machine but not the limit is refused, naming RLIMIT_AS. In a
// child, so that the limit does not outlive the case.
BOOST_AUTO_TEST_CASE(an_address_space_limit_is_counted, *where_address_space_can_be_limited()) {
  const auto net = huge_context_net(std::int64_t{1} << 24);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit tight{std::size_t{1} << 30, std::size_t{1} << 30};  // 1 GiB; the session below wants 8 GiB
    if (::setrlimit(RLIMIT_AS, &tight) != 0) ::_exit(2);
    const std::string message =
        error_of([&] { session<weights::f32> run(net, {.context = std::int64_t{1} << 24, .threads = 1, .batch = 1}); });
    ::_exit(message.find("RLIMIT_AS (ulimit -v) of 1073741824 bytes") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "the child's message did not name RLIMIT_AS");
}

// A batch past the context could never fill: the session sizes its
// buffers for the context instead of failing (or allocating) for it.
BOOST_AUTO_TEST_CASE(a_batch_beyond_the_context_is_cut_to_it) {
  const auto net = huge_context_net(64);
  session<weights::f32> run(net, {.context = 16, .threads = 1, .batch = std::size_t{1} << 50});
  const std::vector<std::int32_t> prompt(16, 5);
  BOOST_TEST(run.prefill(prompt).size() == 97u);
}
