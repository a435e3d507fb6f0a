// Loads the shipped glm4-small model through the installed headers and
// generates four tokens greedily: if this builds and runs, the installed
// package (headers, glm4Config.cmake, its dependencies) works.
//
//   consumer path/to/tests/data/models/glm4-small
#include <cstdint>
#include <iostream>
#include <vector>

#include <glm4/config/shipped_models.hpp>
#include <glm4/glm4.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer MODEL_DIR (tests/data/models/glm4-small)\n";
    return 2;
  }
  try {
    using Model = glm4::model<glm4::shipped_models::glm4_small, glm4::weights::bf16>;
    const auto model = Model::load(argv[1]);
    glm4::session run(model, {.context = 16, .threads = 1});
    const std::vector<std::int32_t> prompt{1, 2, 3, 4, 5};
    const auto ids = glm4::generate_greedy(run, prompt, 4);

    bool ok = ids.size() == 4;
    for (const auto id : ids) {
      ok = ok && id >= 0 && id < glm4::shipped_models::glm4_small::vocab_size;
      std::cout << id << ' ';
    }
    std::cout << '\n';
    if (!ok) {
      std::cerr << "consumer: expected 4 ids in [0, " << glm4::shipped_models::glm4_small::vocab_size << ")\n";
      return 1;
    }
  } catch (const glm4::error& e) {
    std::cerr << "consumer: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
