// The Conan recipe's test: a program that needs nothing but the packaged
// headers and their dependencies. It writes a tiny GLM-4 GGUF with random
// f32 weights through glm4::io::gguf_writer, loads it as a typed model and
// generates a few tokens greedily. If it builds and prints four ids, the
// package's include paths, Highway, nlohmann_json and threads all work.
// scripts/run_tests.sh also builds it (find_package(glm4)) against a plain
// `cmake --install`, without Conan.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <glm4/config/presets.hpp>
#include <glm4/glm4.hpp>
#include <glm4/io/gguf_metadata.hpp>
#include <glm4/io/gguf_names.hpp>
#include <glm4/io/gguf_writer.hpp>

namespace {

// GLM-4-0414 blocks at toy size: 2 layers of 64, 2 heads over 1 KV head of 32.
struct toy : glm4::presets::glm4_9b_0414 {
  static constexpr std::string_view name = "test-package-toy";
  static constexpr std::int64_t vocab_size = 256;
  static constexpr std::int64_t hidden_size = 64;
  static constexpr std::int64_t intermediate_size = 128;
  static constexpr std::int64_t num_layers = 2;
  static constexpr std::int64_t num_heads = 2;
  static constexpr std::int64_t num_kv_heads = 1;
  static constexpr std::int64_t head_dim = 32;
  static constexpr std::int64_t max_context = 64;
};

void write_random_gguf(const std::filesystem::path& path) {
  const glm4::model_shape s = glm4::shape_of<toy>();
  glm4::io::gguf_writer w;
  glm4::io::write_model_metadata(w, "glm4", std::string(toy::name), s);
  // The vocabulary only sets vocab_size here (no text is tokenized): one
  // placeholder token per id.
  std::vector<std::string> tokens;
  for (std::int64_t i = 0; i < s.vocab_size; ++i) tokens.push_back("t" + std::to_string(i));
  w.set("tokenizer.ggml.model", std::string("gpt2"));
  w.set_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_array("tokenizer.ggml.token_type", std::vector<std::int32_t>(static_cast<std::size_t>(s.vocab_size), 1));

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> weight(-0.05f, 0.05f);
  const auto add = [&](const std::string& canonical, std::vector<std::int64_t> shape) {
    std::size_t n = 1;
    for (const auto d : shape) n *= static_cast<std::size_t>(d);
    std::vector<float> v(n, 1.0f);  // norms stay 1
    if (shape.size() == 2 || canonical.ends_with(".bias"))
      for (auto& x : v) x = weight(rng);
    w.add_tensor(glm4::io::gguf_tensor_name(canonical), glm4::quant::ggml_type::f32, std::move(shape),
                 [v = std::move(v)](std::span<std::byte> out) { std::memcpy(out.data(), v.data(), out.size()); });
  };
  const std::int64_t H = s.hidden_size, Q = s.q_dim(), KV = s.kv_dim(), F = s.intermediate_size;
  add("model.embed_tokens.weight", {s.vocab_size, H});
  for (std::int64_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {H});
    add(p + "self_attn.q_proj.weight", {Q, H});
    add(p + "self_attn.q_proj.bias", {Q});
    add(p + "self_attn.k_proj.weight", {KV, H});
    add(p + "self_attn.k_proj.bias", {KV});
    add(p + "self_attn.v_proj.weight", {KV, H});
    add(p + "self_attn.v_proj.bias", {KV});
    add(p + "self_attn.o_proj.weight", {H, Q});
    add(p + "post_self_attn_layernorm.weight", {H});
    add(p + "post_attention_layernorm.weight", {H});
    add(p + "mlp.gate_up_proj.weight", {2 * F, H});
    add(p + "mlp.down_proj.weight", {H, F});
    add(p + "post_mlp_layernorm.weight", {H});
  }
  add("model.norm.weight", {H});
  add("lm_head.weight", {s.vocab_size, H});
  w.write(path);
}

}  // namespace

int main() {
  const auto path = std::filesystem::temp_directory_path() /
                    ("glm4_test_package_" + std::to_string(std::random_device{}()) + ".gguf");
  int status = 0;
  try {
    write_random_gguf(path);
    const auto model = glm4::model<toy, glm4::weights::f32>::load(path);
    glm4::session run(model, {.context = 16, .threads = 1});
    const std::vector<std::int32_t> prompt{1, 2, 3};
    const auto ids = glm4::generate_greedy(run, prompt, 4);
    for (const auto id : ids) std::cout << id << ' ';
    std::cout << '\n';
    if (ids.size() != 4) {
      std::cerr << "test_package: expected 4 ids, got " << ids.size() << '\n';
      status = 1;
    }
  } catch (const glm4::error& e) {
    std::cerr << "test_package: " << e.what() << '\n';
    status = 1;
  }
  std::filesystem::remove(path);
  std::cout << "glm4 " << glm4::version_string << " test_package: " << (status == 0 ? "ok" : "FAILED") << '\n';
  return status;
}
