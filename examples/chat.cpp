// chat: a terminal chat on the library's API. Each line on stdin is a user
// turn; the conversation is rendered with the model's chat template and the
// reply is sampled and printed as it decodes. `glm4 chat` (apps/glm4) is the
// full program: flags, KV cache reuse across turns, Ctrl-C, /reset.
//
//   chat MODEL [SYSTEM_PROMPT]
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <glm4/config/shipped_models.hpp>
#include <glm4/glm4.hpp>

using configs = glm4::config_list<glm4::presets::glm4_9b_chat, glm4::presets::glm4_9b_0414,
                                  glm4::presets::glm_z1_9b_0414, glm4::shipped_models::glm4_small>;
using file_types = glm4::file_types::list<glm4::file_types::bf16, glm4::file_types::q8_0, glm4::file_types::q4_k>;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: chat MODEL [SYSTEM_PROMPT]\n";
    return 2;
  }
  try {
    const auto model = glm4::any_model::open<configs, file_types>(argv[1]);
    const auto tokenizer = glm4::open_tokenizer(argv[1]);
    const auto format = glm4::chat::detect_format(argv[1]);  // glm4_chat, glm4_0414 or glm_z1
    auto session = model.new_session({.context = 4096});

    auto params = format == glm4::chat::format::glm_z1 ? glm4::sampling::params::glm_z1() : glm4::sampling::params{};
    params.stop_ids = glm4::chat::end_of_turn_ids(tokenizer);  // by name: the test models number them differently
    glm4::sampling::sampler sampler(params);

    std::vector<glm4::chat::message> history;
    if (argc > 2) history.push_back({.role = "system", .content = argv[2]});
    for (std::string line; std::cout << "> " << std::flush, std::getline(std::cin, line);) {
      history.push_back({.role = "user", .content = line});
      const auto prompt =
          tokenizer.encode(glm4::chat::render(history, {}, format, true), glm4::special_tokens::allow);
      session.reset();  // the whole conversation again; glm4 chat prefills only what is new
      glm4::stream_decoder text(tokenizer);
      std::string reply;
      std::vector<float> row;
      glm4::generate(
          session, prompt, 512, params.stop_ids,
          [&](std::span<const float> logits) {
            row.assign(logits.begin(), logits.end());
            return sampler.sample(row);
          },
          [&](std::int32_t id) {
            if (sampler.is_stop(id)) return;
            const auto piece = text.push(id);
            reply += piece;
            std::cout << piece << std::flush;
          });
      reply += text.flush();
      std::cout << '\n';
      // A Z1 model's thinking is dropped from past turns by the template.
      history.push_back({.role = "assistant", .content = glm4::chat::parse_reply(reply, format).answer});
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "chat: " << e.what() << '\n';
    return 1;
  }
}
