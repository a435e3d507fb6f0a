// config.json through io::read_model_config, in every dialect it reads: HF
// Glm/Glm4ForCausalLM ("glm", "glm4"), THUDM ChatGLMModel ("chatglm") and
// GLM-130B's ("glm-130b"). Property: any file is a model_shape or a
// glm4::error, and a shape it reads compares with a compiled one (the check
// every load runs, which prints each field) without fault.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "glm4/config/model_config.hpp"
#include "glm4/config/presets.hpp"
#include "glm4/core/error.hpp"
#include "glm4/io/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = glm4::fuzz::scratch().write("config.json", {data, size});
  try {
    const glm4::model_shape found = glm4::io::read_model_config(path);
    glm4::io::require_shape(glm4::shape_of<glm4::presets::glm4_9b_chat>(), found, "glm-4-9b-chat", path.string());
  } catch (const glm4::error&) {
  }
  return 0;
}
