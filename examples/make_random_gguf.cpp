// make_random_gguf OUT.gguf TYPE [--shape glm4-9b|glm4-1b] [overrides...] [--seed N] [--name NAME]
//
// Writes a GLM-4 (arch `glm4`, GLM-4-0414 block: sandwich norms, q/k/v
// biases, fused gate/up) GGUF of a given shape with random weights, for speed
// benchmarks of glm4.hpp and llama.cpp without downloading a checkpoint. The
// bytes are generated directly in the target format -- random codes and
// random finite scales, sized so the weights have a std of about 0.02 --
// instead of quantizing random floats (the k-quant scale search is slow on
// 9B weights); the statistics do not matter for speed, validity does.
// Tensors are produced one at a time at write time (gguf_writer fill
// callbacks), so memory stays at about one tensor.
//
// TYPE: any of quant::known_formats (f32 f16 bf16 q8_0 q4_0 ...), or q4_k_m /
// q5_k_m for llama.cpp's mixes (attn_v / ffn_down in q6_k on use_more_bits
// layers, output in q6_k). A weight whose rows are not whole blocks of its
// type falls back as llama.cpp's quantize does (convert::stored_type: q4_k
// -> q5_0, q5_k -> q5_1, q6_k -> q8_0), so GLM-4-9B's ffn_down (13696
// columns) is q5_0 / q8_0 in Q4_K_M and q5_1 / q8_0 in Q5_K_M. Norms and biases are f32. The
// tokenizer is a minimal valid gpt2 BPE vocabulary (pre "glm4"): the 256
// byte tokens, filler tokens, and GLM-4's special tokens at their usual ids
// (<|endoftext|> = vocab - 223); no merges, so text tokenizes to bytes.
//
// Same seed and arguments give the same file. Progress goes to stderr.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/config/model_config.hpp"
#include "glm4/config/presets.hpp"
#include "glm4/convert/quantize_rules.hpp"
#include "glm4/io/gguf_metadata.hpp"
#include "glm4/io/gguf_names.hpp"
#include "glm4/io/gguf_writer.hpp"
#include "glm4/quant/formats.hpp"

namespace {

using glm4::quant::ggml_type;
namespace quant = glm4::quant;

std::string usage() {
  return "usage: make_random_gguf OUT.gguf TYPE [--shape NAME] [--layers N] [--hidden N] [--ffn N]\n"
         "                        [--heads N] [--kv-heads N] [--head-dim N] [--vocab N] [--context N]\n"
         "                        [--seed N] [--name NAME]\n"
         "  TYPE: " +
         quant::format_names() +
         ", or q4_k_m / q5_k_m (llama.cpp's mixes)\n"
         "  --shape glm4-9b  40 layers, hidden 4096, FFN 13696, 32/2 heads of 128, vocab 151552 (default)\n"
         "  --shape glm4-1b  16 layers, hidden 2048, FFN 6912, 16/2 heads of 128, vocab 151552\n"
         "  the other options override single numbers of the shape; --seed (default 1) picks the weights\n";
}

// wyrand (Wang Yi): one multiply per 64 random bits, passes BigCrush.
struct wyrand {
  std::uint64_t s;
  std::uint64_t next() {
    s += 0xa0761d6478bd642full;
    const __uint128_t t = static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbull);
    return static_cast<std::uint64_t>(t >> 64) ^ static_cast<std::uint64_t>(t);
  }
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
  }
  void fill(std::span<std::byte> out) {
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, 8);
    }
    if (i < out.size()) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, out.size() - i);
    }
  }
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {  // splitmix64 of a combined seed
  std::uint64_t z = a * 0x9e3779b97f4a7c15ull + b + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Random blocks of format F: the codes are the random bytes as they come,
// every f16 scale is overwritten with a finite value chosen so that the
// decoded weights have a std of roughly 0.02 (like an initialised or trained
// GLM-4 weight); q6_k's int8 sub-block scales are kept in [1, 16].
template <quant::block_format F>
void random_blocks(std::span<std::byte> bytes, wyrand& rng) {
  using block = typename F::block;
  constexpr std::size_t bb = sizeof(block);
  const std::size_t n = bytes.size() / bb;
  const auto h = [&](float lo, float hi) { return quant::f16::from_float(rng.uniform(lo, hi)); };
  if constexpr (F::type == ggml_type::f32 || F::type == ggml_type::f16 || F::type == ggml_type::bf16) {
    constexpr std::size_t chunk = 4096;
    float v[chunk];
    for (std::size_t i = 0; i < n; i += chunk) {
      const std::size_t k = std::min(chunk, n - i);
      for (std::size_t j = 0; j < k; ++j) v[j] = rng.uniform(-0.0346f, 0.0346f);  // std 0.02
      F::quantize(v, reinterpret_cast<block*>(bytes.data() + i * bb), k);
    }
  } else {
    rng.fill(bytes);
    auto* b = reinterpret_cast<block*>(bytes.data());
    for (std::size_t i = 0; i < n; ++i) {
      if constexpr (F::type == ggml_type::q8_0) {
        b[i].d = h(1.5e-4f, 4.0e-4f);  // q uniform in [-128, 128): std ~74 d
      } else if constexpr (F::type == ggml_type::q4_0) {
        b[i].d = h(2.5e-3f, 6.0e-3f);  // (q - 8) d: std ~4.6 d
      } else if constexpr (F::type == ggml_type::q4_1) {
        b[i].d = h(2.5e-3f, 6.0e-3f);
        b[i].m = quant::f16::from_float(-7.5f * quant::f16::to_float(b[i].d));
      } else if constexpr (F::type == ggml_type::q5_0) {
        b[i].d = h(1.2e-3f, 3.0e-3f);  // (q - 16) d: std ~9.2 d
      } else if constexpr (F::type == ggml_type::q5_1) {
        b[i].d = h(1.2e-3f, 3.0e-3f);
        b[i].m = quant::f16::from_float(-15.5f * quant::f16::to_float(b[i].d));
      } else if constexpr (F::type == ggml_type::q4_k) {
        b[i].d = h(0.45e-4f, 1.05e-4f);  // d sc q - dmin m, 6-bit sc / m (mean ~32)
        b[i].dmin = h(0.3e-3f, 0.7e-3f);
      } else if constexpr (F::type == ggml_type::q5_k) {
        b[i].d = h(0.2e-4f, 0.5e-4f);
        b[i].dmin = h(0.3e-3f, 0.7e-3f);
      } else if constexpr (F::type == ggml_type::q6_k) {
        for (auto& s : b[i].scales) s = static_cast<std::int8_t>(1 + (static_cast<std::uint8_t>(s) & 15));
        b[i].d = h(0.7e-4f, 1.6e-4f);  // d sc (q - 32): std ~18.5 d sc
      } else if constexpr (F::type == ggml_type::iq4_nl) {
        b[i].d = h(1.8e-4f, 4.2e-4f);  // d level: std ~67 d
      } else if constexpr (F::type == ggml_type::iq4_xs) {
        b[i].d = h(1.0e-5f, 2.2e-5f);  // d (ls - 32) level, 6-bit ls: std ~1250 d
      } else {
        static_assert(sizeof(F) == 0, "no random generator for this format");
      }
    }
  }
}

void random_tensor(ggml_type type, std::span<std::byte> bytes, wyrand& rng) {
  if (!quant::visit_format(type, [&]<quant::block_format F>() { random_blocks<F>(bytes, rng); }))
    throw glm4::invalid_argument("no random generator for " + quant::type_name(type));
}


// GPT-2's byte -> unicode code point table (bytes_to_unicode), as UTF-8.
std::string byte_token(unsigned b) {
  unsigned cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
    unsigned k = 0;  // index among the remapped bytes
    for (unsigned c = 0; c < b; ++c)
      if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255))) ++k;
    cp = 256 + k;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return s;
}

void write_tokenizer(glm4::io::gguf_writer& w, std::int64_t vocab) {
  static constexpr const char* specials[] = {"<|endoftext|>", "[MASK]",    "[gMASK]",  "[sMASK]",
                                             "<sop>",         "<eop>",     "<|system|>", "<|user|>",
                                             "<|assistant|>", "<|observation|>"};
  constexpr std::int64_t n_special = std::size(specials);
  if (vocab < 256 + n_special)
    throw glm4::invalid_argument("vocab " + std::to_string(vocab) + " is below 256 bytes + " +
                                 std::to_string(n_special) + " special tokens");
  // GLM-4's <|endoftext|> is id 151329 of 151552 (223 from the end).
  const std::int64_t first_special = vocab - 223 >= 256 ? vocab - 223 : vocab - n_special;
  const auto n = static_cast<std::size_t>(vocab);
  std::vector<std::string> tokens(n);
  std::vector<std::int32_t> types(n, 1);  // NORMAL
  for (unsigned b = 0; b < 256; ++b) tokens[b] = byte_token(b);
  for (std::size_t i = 256; i < n; ++i) tokens[i] = "\xc4\xa0w" + std::to_string(i);  // "Ġw<i>": " w<i>"
  for (std::int64_t k = 0; k < n_special; ++k) {
    tokens[static_cast<std::size_t>(first_special + k)] = specials[k];
    types[static_cast<std::size_t>(first_special + k)] = 3;  // CONTROL
  }
  const auto eos = static_cast<std::uint32_t>(first_special);    // <|endoftext|>
  const auto eot = static_cast<std::uint32_t>(first_special + 7);  // <|user|>
  w.set("tokenizer.ggml.model", std::string("gpt2"));
  w.set("tokenizer.ggml.pre", std::string("glm4"));
  w.set_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_array("tokenizer.ggml.token_type", std::move(types));
  w.set_array("tokenizer.ggml.merges", std::vector<std::string>{});
  w.set("tokenizer.ggml.eos_token_id", eos);
  w.set("tokenizer.ggml.bos_token_id", eos);
  w.set("tokenizer.ggml.unknown_token_id", eos);
  w.set("tokenizer.ggml.eot_token_id", eot);
  w.set("tokenizer.ggml.padding_token_id", eos);
}

std::int64_t int_arg(std::string_view opt, std::string_view s) {
  std::int64_t v = 0;
  std::size_t used = 0;
  try {
    v = std::stoll(std::string(s), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || v <= 0) throw glm4::invalid_argument(std::string(opt) + " needs a positive integer, not '" + std::string(s) + "'");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string_view> positional;
    glm4::model_shape s = glm4::shape_of<glm4::presets::glm4_9b_0414>();
    std::string shape_name = "glm4-9b";
    std::string name;
    std::uint64_t seed = 1;
    struct override_t {
      std::string_view opt;
      std::int64_t glm4::model_shape::*field;
      std::int64_t value;
    };
    std::vector<override_t> overrides;
    static constexpr std::pair<std::string_view, std::int64_t glm4::model_shape::*> numeric[] = {
        {"--layers", &glm4::model_shape::num_layers},      {"--hidden", &glm4::model_shape::hidden_size},
        {"--ffn", &glm4::model_shape::intermediate_size},  {"--heads", &glm4::model_shape::num_heads},
        {"--kv-heads", &glm4::model_shape::num_kv_heads},  {"--head-dim", &glm4::model_shape::head_dim},
        {"--vocab", &glm4::model_shape::vocab_size},       {"--context", &glm4::model_shape::max_context},
    };
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      const auto value = [&]() -> std::string_view {
        if (i + 1 >= argc) throw glm4::invalid_argument(std::string(a) + " needs a value");
        return argv[++i];
      };
      bool matched = false;
      for (const auto& [opt, field] : numeric)
        if (a == opt) {
          overrides.push_back({opt, field, int_arg(opt, value())});
          matched = true;
        }
      if (matched) continue;
      if (a == "-h" || a == "--help") {
        std::cout << usage();
        return 0;
      } else if (a == "--shape") {
        shape_name = value();
      } else if (a == "--seed") {
        seed = static_cast<std::uint64_t>(int_arg(a, value()));
      } else if (a == "--name") {
        name = value();
      } else if (a.starts_with("--")) {
        throw glm4::invalid_argument("unknown option " + std::string(a));
      } else {
        positional.push_back(a);
      }
    }
    if (positional.size() != 2) {
      std::cerr << usage();
      return 2;
    }
    if (shape_name == "glm4-1b") {
      s.num_layers = 16;
      s.hidden_size = 2048;
      s.intermediate_size = 6912;
      s.num_heads = 16;
      s.num_kv_heads = 2;
      s.head_dim = 128;
    } else if (shape_name != "glm4-9b") {
      throw glm4::invalid_argument("unknown shape '" + shape_name + "' (glm4-9b, glm4-1b)");
    }
    for (const auto& o : overrides) s.*(o.field) = o.value;
    if (s.num_heads % s.num_kv_heads != 0) throw glm4::invalid_argument("heads must be a multiple of kv-heads");

    // TYPE, with q4_k_m / q5_k_m as the k-quant plus llama.cpp's mix.
    const auto parsed = glm4::convert::parse_file_type_name(positional[1]);
    if (!parsed) throw glm4::invalid_argument("unknown type '" + std::string(positional[1]) + "'");
    const glm4::convert::quantize_rules rules = *parsed;
    glm4::convert::validate(rules);

    const std::string arch = "glm4";
    if (name.empty()) name = "random " + shape_name + " " + std::string(positional[1]);
    glm4::io::gguf_writer w;
    glm4::io::write_model_metadata(w, arch, name, s);
    w.set("general.file_type", glm4::convert::file_type(rules));
    w.set("general.quantization_version", std::uint32_t{2});
    write_tokenizer(w, s.vocab_size);

    // Tensors in the converter's order: embeddings, each layer, final norm, output.
    struct spec {
      std::string canonical;
      std::vector<std::int64_t> shape;
      ggml_type type;
    };
    std::vector<spec> specs;
    const std::int64_t H = s.hidden_size, Q = s.q_dim(), KV = s.kv_dim(), F = s.intermediate_size;
    std::set<ggml_type> fallback_noted;
    const auto add = [&](std::string canonical, std::vector<std::int64_t> shape) {
      ggml_type t = ggml_type::f32;
      if (shape.size() == 2) {
        t = glm4::convert::weight_type(rules, canonical, "model.embed_tokens.", false, s.num_layers);
        const ggml_type want = t;
        t = glm4::convert::stored_type(want, shape[1]);
        if (t != want && !fallback_noted.contains(want)) {
          std::cerr << "note: rows of " << shape[1] << " are not whole " << quant::type_name(want) << " blocks: "
                    << quant::type_name(t) << " instead (" << canonical << " and alike)\n";
          fallback_noted.insert(want);
        }
      }
      specs.push_back({std::move(canonical), std::move(shape), t});
    };
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

    const auto start = std::chrono::steady_clock::now();
    std::uint64_t total = 0, done = 0;
    for (const auto& t : specs) {
      std::int64_t e = 1;
      for (auto d : t.shape) e *= d;
      total += e / quant::traits_of(t.type).block_elems * quant::traits_of(t.type).block_bytes;
    }
    std::fprintf(stderr, "%s: %s, %lld layers, hidden %lld, ffn %lld, heads %lld/%lld x %lld, vocab %lld: %zu tensors, %.2f GB of weights\n",
                 std::string(positional[0]).c_str(), name.c_str(), static_cast<long long>(s.num_layers),
                 static_cast<long long>(H), static_cast<long long>(F), static_cast<long long>(s.num_heads),
                 static_cast<long long>(s.num_kv_heads), static_cast<long long>(s.head_dim),
                 static_cast<long long>(s.vocab_size), specs.size(), static_cast<double>(total) / 1e9);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const spec& t = specs[i];
      const std::string gname = glm4::io::gguf_tensor_name(t.canonical);
      const bool is_norm = t.shape.size() == 1 && t.canonical.ends_with("norm.weight");
      w.add_tensor(gname, t.type, t.shape, [&, i, gname, is_norm](std::span<std::byte> bytes) {
        const spec& t = specs[i];
        wyrand rng{mix(seed, i)};
        if (is_norm) {  // RMSNorm gains: 1 +- 0.1
          auto* f = reinterpret_cast<float*>(bytes.data());
          for (std::size_t j = 0; j < bytes.size() / 4; ++j) f[j] = rng.uniform(0.9f, 1.1f);
        } else {
          random_tensor(t.type, bytes, rng);
        }
        done += bytes.size();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (t.shape.size() == 2)
          std::fprintf(stderr, "\r[%3zu/%zu] %5.1f%% %6.1fs %-28s %-5s", i + 1, specs.size(),
                       100.0 * static_cast<double>(done) / static_cast<double>(total), secs, gname.c_str(),
                       quant::type_name(t.type).c_str());
      });
    }
    w.write(std::string(positional[0]));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\nwrote %s (%.2f GB) in %.1f s\n", std::string(positional[0]).c_str(),
                 static_cast<double>(total) / 1e9, secs);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_random_gguf: " << e.what() << "\n";
    return 1;
  }
}
