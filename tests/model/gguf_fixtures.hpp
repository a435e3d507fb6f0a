// The shipped small model's GGUF conversions (tests/data/gguf) that the
// exactness tests run a whole model over: one file per weight scheme with a
// kernel of its own (float, legacy, k-quant).
#pragma once

#include <string>

inline std::string gguf_path(const std::string& name) { return std::string(GLM4_TEST_DATA_DIR) + "/gguf/" + name; }

inline const char* const small_gguf_files[] = {"glm4-small-F16.gguf", "glm4-small-Q4_0.gguf",
                                               "glm4-small-Q4_K_M.gguf", "glm4-small-Q6_K.gguf",
                                               "glm4-small-Q8_0.gguf"};
