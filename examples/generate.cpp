// generate: the library's API on one page. Opens a model (GGUF file or
// Hugging Face folder), encodes a prompt, samples a continuation and prints
// it as it decodes. `glm4 run` (apps/glm4) is the full program, with flags.
//
//   generate MODEL "prompt text" [MAX_NEW_TOKENS]
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <glm4/config/shipped_models.hpp>
#include <glm4/glm4.hpp>

// The shapes and storage types this program can open. Each pair compiles
// its own forward pass, so list only the ones you need.
using configs = glm4::config_list<glm4::presets::glm4_9b_0414, glm4::presets::glm_z1_9b_0414,
                                  glm4::shipped_models::glm4_small>;
using file_types = glm4::file_types::list<glm4::file_types::bf16, glm4::file_types::q8_0, glm4::file_types::q4_k>;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: generate MODEL PROMPT [MAX_NEW_TOKENS]\n";
    return 2;
  }
  try {
    const auto model = glm4::any_model::open<configs, file_types>(argv[1]);
    const auto tokenizer = glm4::open_tokenizer(argv[1]);
    auto session = model.new_session({.context = 2048});

    glm4::sampling::params params;
    params.temperature = 0.7f;
    params.top_p = 0.9f;
    params.stop_ids = glm4::chat::end_of_turn_ids(tokenizer);  // by name: the test models number them differently
    glm4::sampling::sampler sampler(params);
    glm4::stream_decoder text(tokenizer);  // never prints half a UTF-8 character

    const auto prompt = tokenizer.encode(argv[2]);
    const std::size_t max_new_tokens = argc > 3 ? std::stoul(argv[3]) : 64;
    std::vector<float> row;
    glm4::generate(
        session, prompt, max_new_tokens, params.stop_ids,
        [&](std::span<const float> logits) {
          row.assign(logits.begin(), logits.end());  // the sampler applies its penalties in place
          return sampler.sample(row);
        },
        [&](std::int32_t id) {
          if (!sampler.is_stop(id)) std::cout << text.push(id) << std::flush;
        });
    std::cout << text.flush() << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "generate: " << e.what() << '\n';
    return 1;
  }
}
