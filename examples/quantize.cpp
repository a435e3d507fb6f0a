// quantize MODEL_DIR OUT.gguf TYPE [--output-type T] [--embedding-type T] [--name NAME]
//
// Converts a Hugging Face GLM-4 checkpoint folder (config.json,
// model.safetensors or shards, tokenizer.json) into a GGUF file that
// llama.cpp and glm4.hpp read. TYPE is the format of the 2-D weights:
// f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k, or q4_k_m / q5_k_m for
// llama.cpp's mixes (some attn_v / ffn_down and lm_head in q6_k). --output-type sets
// lm_head's format, --embedding-type token_embd's (both default to TYPE).
// Norms and biases are f32; a weight whose rows are not whole blocks of its
// format stays f16 (reported on stderr). Progress goes to stderr.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "glm4/io/gguf_export.hpp"

namespace {

constexpr const char* usage =
    "usage: quantize MODEL_DIR OUT.gguf TYPE [--output-type T] [--embedding-type T] [--name NAME]\n"
    "  TYPE, T: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k (TYPE also q4_k_m q5_k_m)\n"
    "  --output-type T     format of lm_head (default TYPE)\n"
    "  --embedding-type T  format of token_embd (default TYPE)\n"
    "  --name NAME         general.name (default: the folder's name)\n";

glm4::quant::ggml_type type_arg(std::string_view s) {
  const auto t = glm4::io::parse_type_name(s);
  if (!t) throw glm4::invalid_argument("unknown type '" + std::string(s) + "'");
  return *t;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string_view> positional;
    glm4::io::gguf_export_options o;
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      const auto value = [&]() -> std::string_view {
        if (i + 1 >= argc) throw glm4::invalid_argument(std::string(a) + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") {
        std::cout << usage;
        return 0;
      } else if (a == "--output-type") {
        o.output_type = type_arg(value());
      } else if (a == "--embedding-type") {
        o.embedding_type = type_arg(value());
      } else if (a == "--name") {
        o.name = value();
      } else if (a.starts_with("--")) {
        throw glm4::invalid_argument("unknown option " + std::string(a));
      } else {
        positional.push_back(a);
      }
    }
    if (positional.size() != 3) {
      std::cerr << usage;
      return 2;
    }
    std::string_view type = positional[2];
    if (type == "q4_k_m" || type == "Q4_K_M" || type == "q5_k_m" || type == "Q5_K_M") {
      o.k_mix = true;
      type = type.substr(0, 4);
    }
    o.type = type_arg(type);
    bool progress_shown = false;
    o.progress = [&](const glm4::io::gguf_export_progress& p) {
      std::fprintf(stderr, "\r[%zu/%zu] %-40s %-5s %12zu bytes", p.index + 1, p.count, p.name.c_str(),
                   glm4::quant::type_name(p.type).c_str(), p.bytes);
      std::fflush(stderr);
      progress_shown = true;
    };
    o.warn = [&](const std::string& msg) {
      if (progress_shown) std::fputc('\n', stderr);
      std::fprintf(stderr, "warning: %s\n", msg.c_str());
      progress_shown = false;
    };
    glm4::io::export_gguf(std::string(positional[0]), std::string(positional[1]), o);
    if (progress_shown) std::fputc('\n', stderr);
    std::fprintf(stderr, "wrote %s\n", std::string(positional[1]).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nquantize: %s\n", e.what());
    return 1;
  }
}
