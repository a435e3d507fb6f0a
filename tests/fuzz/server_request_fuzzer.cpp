// The server's request path without HTTP or generation: arbitrary bytes,
// parsed as apps/glm4/serve_command.cpp parses a body, through
// service::prepare_chat and prepare_completion (validation, chat template,
// tokenization, context check, slot lease) for each chat format, on the
// shipped glm4-small model.
//
// A refusal is what serve_command answers with 400 or 503: an api_error, or
// the invalid_argument / text_error it turns into a 400. Anything else would
// be a 500 (or a crash) for a bad request: a finding. An accepted request
// holds a prompt of vocabulary ids and a token budget that fits the context,
// and gives its slot back when dropped.
#include <array>
#include <cstddef>
#include <cstdint>

#include "glm4/config/shipped_models.hpp"
#include "glm4/model/any_model.hpp"
#include "glm4/server/service.hpp"
#include "glm4/tokenizer/open.hpp"

namespace {

namespace server = glm4::server;
using json = nlohmann::ordered_json;

constexpr std::int64_t context = 256;

struct small_model {
  static constexpr const char* dir = GLM4_TEST_DATA_DIR "/models/glm4-small";
  glm4::any_model model = glm4::any_model::open<glm4::config_list<glm4::shipped_models::glm4_small>,
                                                glm4::file_types::list<glm4::file_types::bf16>>(dir);
  glm4::tokenizer tok = glm4::open_tokenizer(dir);
};

small_model& shared() {
  static small_model m;
  return m;
}

// One service per chat format, each with one slot and no queue: a job is
// dropped (its slot given back) before the next request comes.
std::array<server::service, 3>& services() {
  const auto make = [](glm4::chat::format f) {
    return server::service(shared().tok, f, [] { return shared().model.new_session({.context = context, .threads = 1}); },
                           {.slots = 1, .queue = 0});
  };
  static std::array<server::service, 3> all{make(glm4::chat::format::glm4_chat), make(glm4::chat::format::glm_z1),
                                            make(glm4::chat::format::glm4_0414)};
  return all;
}

void check_job(const server::job& j) {
  if (j.prompt.empty()) __builtin_trap();
  for (const std::int32_t id : j.prompt)
    if (id < 0 || static_cast<std::size_t>(id) >= shared().tok.vocab_size()) __builtin_trap();
  const auto room = context - static_cast<std::int64_t>(j.prompt.size());
  if (j.options.max_tokens < 1 || j.options.max_tokens > room) __builtin_trap();
}

template <class Prepare>
void prepare_or_refuse(Prepare prepare) {
  try {
    check_job(*prepare());
  } catch (const server::api_error& e) {
    // Never 503: the one slot is given back with each job, so a busy pool
    // means a lease that leaked.
    if (e.status() != 400) __builtin_trap();
    // The error body is sent as serve_command sends it.
    server::error_body(e).dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const glm4::invalid_argument&) {
  } catch (const glm4::text_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  services();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json body = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;  // serve_command's 400 "not valid JSON"
  for (server::service& s : services()) {
    prepare_or_refuse([&] { return s.prepare_chat(body); });
    prepare_or_refuse([&] { return s.prepare_completion(body); });
  }
  return 0;
}
