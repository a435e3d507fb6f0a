// make_gguf_seeds DIR: writes the gguf target's seed corpus
// (tests/fuzz/corpus/gguf), complete model files of the micro models
// (micro_model.hpp) made with the library's own writer, one per path through
// the loader: arch glm4 with separate q/k/v in F32 and in Q8_0 with a tied
// output, arch chatglm with the fused attn_qkv, and a file with a
// non-default alignment. Each has the same 288-token vocabulary.
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "glm4/config/model_config.hpp"
#include "glm4/io/gguf_metadata.hpp"
#include "glm4/io/gguf_names.hpp"
#include "glm4/io/gguf_writer.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/tokenizer/byte_level.hpp"
#include "micro_model.hpp"

namespace {

using glm4::quant::ggml_type;

struct seed {
  std::string file;
  std::string arch;
  glm4::model_shape shape;
  ggml_type matrix_type;
  bool tied_output;
  std::uint32_t alignment;
};

// The tensors the loader takes for shape `s`, canonical names and shapes.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> tensors_of(const glm4::model_shape& s, bool fused_qkv,
                                                                          bool tied_output) {
  const auto H = s.hidden_size, Q = s.q_dim(), KV = s.kv_dim(), I = s.intermediate_size;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> t = {{"model.embed_tokens.weight", {s.vocab_size, H}},
                                                                      {"model.norm.weight", {H}}};
  if (!tied_output) t.push_back({"lm_head.weight", {s.vocab_size, H}});
  for (std::int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {H}});
    if (fused_qkv) {
      t.push_back({p + "self_attn.qkv_proj.weight", {Q + 2 * KV, H}});
      t.push_back({p + "self_attn.qkv_proj.bias", {Q + 2 * KV}});
    } else {
      for (const auto& [proj, rows] : {std::pair{"q_proj", Q}, {"k_proj", KV}, {"v_proj", KV}}) {
        t.push_back({p + "self_attn." + proj + ".weight", {rows, H}});
        t.push_back({p + "self_attn." + proj + ".bias", {rows}});
      }
    }
    t.push_back({p + "self_attn.o_proj.weight", {H, Q}});
    t.push_back({p + "post_attention_layernorm.weight", {H}});
    t.push_back({p + "mlp.gate_up_proj.weight", {2 * I, H}});
    t.push_back({p + "mlp.down_proj.weight", {H, I}});
    if (s.style == glm4::block_style::glm4) {
      t.push_back({p + "post_self_attn_layernorm.weight", {H}});
      t.push_back({p + "post_mlp_layernorm.weight", {H}});
    }
  }
  return t;
}

// A byte as byte-level BPE vocabularies spell it (its code point in UTF-8;
// the map's code points are below U+0144, so one or two bytes).
std::string spelled(unsigned byte) {
  const auto code = static_cast<unsigned>(glm4::byte_level::byte_to_code[byte]);
  if (code < 0x80) return std::string(1, static_cast<char>(code));
  return {static_cast<char>(0xc0 | (code >> 6)), static_cast<char>(0x80 | (code & 0x3f))};
}

// The 256 bytes, 27 merges ("a b" ... "y z", "Ġ a", "Ġ b") and five of
// GLM-4's special tokens: 288, the micro models' vocab_size.
void write_vocabulary(glm4::io::gguf_writer& w) {
  std::vector<std::string> tokens, merges;
  for (unsigned b = 0; b < 256; ++b) tokens.push_back(spelled(b));
  const auto merge = [&](const std::string& left, const std::string& right) {
    merges.push_back(left + " " + right);
    tokens.push_back(left + right);
  };
  for (char c = 'a'; c < 'z'; ++c) merge(std::string(1, c), std::string(1, c + 1));
  for (const char* letter : {"a", "b"}) merge(spelled(' '), letter);
  std::vector<std::int32_t> types(tokens.size(), 1);  // NORMAL
  for (const char* special : {"<|endoftext|>", "[gMASK]", "<sop>", "<|user|>", "<|assistant|>"}) {
    tokens.emplace_back(special);
    types.push_back(3);  // CONTROL
  }
  const auto endoftext = static_cast<std::uint32_t>(tokens.size() - 5);
  w.set("tokenizer.ggml.model", std::string("gpt2"));
  w.set("tokenizer.ggml.pre", std::string("glm4"));
  w.set_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_array("tokenizer.ggml.token_type", std::move(types));
  w.set_array("tokenizer.ggml.merges", std::move(merges));
  w.set("tokenizer.ggml.eos_token_id", endoftext);
}

void write_seed(const std::filesystem::path& dir, const seed& s) {
  glm4::io::gguf_writer w(s.alignment);
  glm4::io::write_model_metadata(w, s.arch, s.file, s.shape);
  write_vocabulary(w);
  std::vector<std::vector<std::byte>> storage;  // the writer borrows the bytes until write()
  for (const auto& [name, shape] : tensors_of(s.shape, s.arch == "chatglm", s.tied_output)) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> values(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = shape.size() == 1 ? 1.0f : 0.05f * std::sin(static_cast<float>(i) * 0.7f + static_cast<float>(name.size()));
    const ggml_type type = shape.size() == 1 ? ggml_type::f32 : s.matrix_type;
    const auto traits = glm4::quant::traits_of(type);
    auto& bytes = storage.emplace_back(static_cast<std::size_t>(n) / traits.block_elems * traits.block_bytes);
    glm4::quant::visit_format(type, [&]<glm4::quant::block_format F>() {
      F::quantize(values.data(), reinterpret_cast<typename F::block*>(bytes.data()), values.size());
    });
    w.add_tensor(glm4::io::gguf_tensor_name(name, s.arch), type, shape, bytes);
  }
  w.write(dir / s.file);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_gguf_seeds DIR\n";
    return 2;
  }
  try {
    const auto glm4_shape = glm4::shape_of<glm4::fuzz::micro_glm4>();
    const auto glm_shape = glm4::shape_of<glm4::fuzz::micro_glm>();
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    for (const seed& s : {seed{"micro-glm4-F32.gguf", "glm4", glm4_shape, ggml_type::f32, false, 32},
                          seed{"micro-glm4-Q8_0-tied.gguf", "glm4", glm4_shape, ggml_type::q8_0, true, 32},
                          seed{"micro-chatglm-Q8_0.gguf", "chatglm", glm_shape, ggml_type::q8_0, false, 32},
                          seed{"micro-glm4-Q8_0-align64.gguf", "glm4", glm4_shape, ggml_type::q8_0, false, 64}})
      write_seed(dir, s);
  } catch (const std::exception& e) {
    std::cerr << "make_gguf_seeds: " << e.what() << '\n';
    return 1;
  }
}
