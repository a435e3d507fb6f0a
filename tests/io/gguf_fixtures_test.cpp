// The GGUF fixtures made by llama.cpp (tests/data/gguf, from the golden set):
// our decoders equal gguf-py's dequantization bit for bit, our encoders
// reproduce llama.cpp's quantized tensors byte for byte from the F16 file,
// and the metadata, names and vocabulary come out as the model expects.
#define BOOST_TEST_MODULE io_gguf_fixtures
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <set>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "glm4/io/gguf.hpp"
#include "glm4/io/gguf_source.hpp"
#include "glm4/io/gguf_writer.hpp"
#include "glm4/io/safetensors.hpp"
#include "glm4/quant/formats.hpp"

namespace fs = std::filesystem;
namespace io = glm4::io;
namespace q = glm4::quant;

namespace {

const fs::path data_dir = fs::path(GLM4_TEST_DATA_DIR) / "gguf";

const std::vector<std::string> fixtures = {"glm4-small-F16",  "glm4-small-Q8_0", "glm4-small-Q4_0",
                                           "glm4-small-Q4_K_M", "glm4-small-Q6_K", "glm-tiny-chatglm-Q8_0"};

std::shared_ptr<const io::gguf_file> open_fixture(const std::string& name) {
  return io::gguf_file::open(data_dir / (name + ".gguf"));
}

std::vector<float> dequantized(const io::gguf_tensor& t) {
  std::vector<float> out(static_cast<std::size_t>(t.elements()));
  q::dequantize(t.type, t.bytes, out.data(), out.size());
  return out;
}

}  // namespace

// Every `dequant.<tensor>` in every reference file is gguf-py's decoding of
// that tensor; ours must give the same bits.
BOOST_AUTO_TEST_CASE(decoding_matches_gguf_py_bit_for_bit) {
  std::set<q::ggml_type> types_checked;
  for (const auto& name : fixtures) {
    const auto f = open_fixture(name);
    const io::safetensors_file ref(data_dir / (name + ".llamacpp-ref.safetensors"));
    int compared = 0;
    for (const auto& [key, expected] : ref.tensors()) {
      if (!key.starts_with("dequant.")) continue;
      const std::string tensor = key.substr(8);
      const auto* t = f->find_tensor(tensor);
      BOOST_TEST_REQUIRE(t != nullptr, name << ": no tensor " << tensor);
      BOOST_TEST(t->shape() == expected.shape, name << " " << tensor << ": shape differs from the reference");
      BOOST_TEST_REQUIRE(expected.dtype == "F32");
      const auto ours = dequantized(*t);
      BOOST_TEST_REQUIRE(expected.bytes.size() == ours.size() * 4);
      std::size_t differ = 0, first = 0;
      for (std::size_t i = 0; i < ours.size(); ++i) {
        float want;
        std::memcpy(&want, expected.bytes.data() + 4 * i, 4);
        if (std::memcmp(&want, &ours[i], 4) != 0 && differ++ == 0) first = i;
      }
      BOOST_TEST(differ == 0u, name << " " << tensor << " (" << q::type_name(t->type) << "): " << differ
                                    << " values differ from gguf-py, the first at " << first);
      types_checked.insert(t->type);
      ++compared;
    }
    BOOST_TEST(compared >= 2, name << ": reference has " << compared << " dequant tensors");
  }
  for (auto type : {q::ggml_type::f16, q::ggml_type::q8_0, q::ggml_type::q4_0, q::ggml_type::q4_k, q::ggml_type::q6_k})
    BOOST_TEST(types_checked.contains(type), q::type_name(type) << " was never checked against gguf-py");
}

// llama-quantize (ggml's quantize_row_*_ref, or quantize_iq4_nl / _xs, no
// importance matrix) and gguf-py's Q8_0 encoder produced these files from the
// same weights the F16 file holds exactly; re-encoding the F16 tensors must
// give identical bytes. (The IQ4 files: `llama-quantize glm4-small-F16.gguf
// glm4-small-IQ4_NL.gguf IQ4_NL`, llama.cpp d32676d77; their output is Q6_K.)
BOOST_AUTO_TEST_CASE(encoding_matches_llama_cpp_byte_for_byte) {
  const auto source = open_fixture("glm4-small-F16");
  std::set<q::ggml_type> types_checked;
  for (const auto& name : {"glm4-small-Q8_0", "glm4-small-Q4_0", "glm4-small-Q4_K_M", "glm4-small-Q6_K",
                           "glm4-small-IQ4_NL", "glm4-small-IQ4_XS"}) {
    const auto f = open_fixture(name);
    for (const auto& t : f->tensors()) {
      if (t.type == q::ggml_type::f32) continue;
      const auto* s = source->find_tensor(t.name);
      BOOST_TEST_REQUIRE(s != nullptr, "F16 file lacks " << t.name);
      const auto x = dequantized(*s);
      std::vector<std::byte> ours(t.bytes.size());
      q::visit_format(t.type, [&]<q::block_format F>() {
        F::quantize(x.data(), reinterpret_cast<typename F::block*>(ours.data()), x.size());
      });
      std::size_t differ = 0;
      for (std::size_t i = 0; i < ours.size(); ++i) differ += ours[i] != t.bytes[i];
      BOOST_TEST(differ == 0u, name << " " << t.name << " (" << q::type_name(t.type) << "): " << differ << " of "
                                    << ours.size() << " bytes differ from llama.cpp's");
      types_checked.insert(t.type);
    }
  }
  BOOST_TEST(types_checked.size() == 6u);  // q8_0, q4_0, q4_k, q6_k, iq4_nl, iq4_xs
}

// q8_0 and q4_0 blocks from the files survive decode + re-encode unchanged.
BOOST_AUTO_TEST_CASE(file_blocks_are_fixed_points_of_the_encoder) {
  for (const auto& name : {"glm4-small-Q8_0", "glm4-small-Q4_0"}) {
    const auto f = open_fixture(name);
    for (const auto& t : f->tensors()) {
      if (t.type != q::ggml_type::q8_0 && t.type != q::ggml_type::q4_0) continue;
      const auto x = dequantized(t);
      std::vector<std::byte> again(t.bytes.size());
      q::visit_format(t.type, [&]<q::block_format F>() {
        F::quantize(x.data(), reinterpret_cast<typename F::block*>(again.data()), x.size());
      });
      BOOST_TEST(std::equal(again.begin(), again.end(), t.bytes.begin()), name << " " << t.name);
    }
  }
}

BOOST_AUTO_TEST_CASE(glm4_shape_from_metadata) {
  for (const auto& name : {"glm4-small-F16", "glm4-small-Q8_0", "glm4-small-Q4_0", "glm4-small-Q4_K_M",
                           "glm4-small-Q6_K"}) {
    const auto f = open_fixture(name);
    glm4::model_shape want;
    want.style = glm4::block_style::glm4;
    want.vocab_size = 1024;
    want.hidden_size = 256;
    want.intermediate_size = 512;
    want.num_layers = 2;
    want.num_heads = 4;
    want.num_kv_heads = 2;
    want.head_dim = 64;
    want.partial_rotary_factor = 0.5;
    want.rope_theta = 10000.0;
    want.rms_norm_eps = 1e-5;  // stored as f32 9.99999974e-06, widened by shortest decimal
    want.max_context = 8192;
    want.tie_word_embeddings = false;
    const auto got = io::shape_from_gguf(*f);
    BOOST_TEST((got.style == want.style), name);
    BOOST_TEST(got.vocab_size == want.vocab_size, name);
    BOOST_TEST(got.hidden_size == want.hidden_size, name);
    BOOST_TEST(got.intermediate_size == want.intermediate_size, name);
    BOOST_TEST(got.num_layers == want.num_layers, name);
    BOOST_TEST(got.num_heads == want.num_heads, name);
    BOOST_TEST(got.num_kv_heads == want.num_kv_heads, name);
    BOOST_TEST(got.head_dim == want.head_dim, name);
    BOOST_TEST(got.partial_rotary_factor == want.partial_rotary_factor, name);
    BOOST_TEST(got.rope_theta == want.rope_theta, name);
    BOOST_TEST(got.rms_norm_eps == want.rms_norm_eps, name);
    BOOST_TEST(got.max_context == want.max_context, name);
    BOOST_TEST(got.tie_word_embeddings == want.tie_word_embeddings, name);
    BOOST_TEST(!got.rope_scaling.enabled(), name);
    BOOST_TEST(io::context_length_reliable(*f));
  }
}

// The chatglm file (original THUDM layout through llama.cpp's converter) has
// no attention.key_length: head_dim = hidden / heads. Its context_length is
// the ChatGLM config's seq_length (8192) here, but the converter's fallback
// makes it unreliable for chatglm files in general.
BOOST_AUTO_TEST_CASE(chatglm_shape_from_metadata) {
  const auto f = open_fixture("glm-tiny-chatglm-Q8_0");
  BOOST_TEST(!f->contains("chatglm.attention.key_length"));
  const auto s = io::shape_from_gguf(*f);
  BOOST_TEST((s.style == glm4::block_style::glm));
  BOOST_TEST(s.vocab_size == 1024);
  BOOST_TEST(s.hidden_size == 128);
  BOOST_TEST(s.intermediate_size == 256);
  BOOST_TEST(s.num_layers == 3);
  BOOST_TEST(s.num_heads == 4);
  BOOST_TEST(s.num_kv_heads == 2);
  BOOST_TEST(s.head_dim == 32);
  BOOST_TEST(s.rotary_dim() == 16);
  BOOST_TEST(s.rope_theta == 10000.0);
  BOOST_TEST(s.rms_norm_eps == 1e-5);
  BOOST_TEST(s.max_context == 8192);
  BOOST_TEST(!s.tie_word_embeddings);
  BOOST_TEST(!s.rope_scaling.enabled());
  BOOST_TEST(!io::context_length_reliable(*f));
}

BOOST_AUTO_TEST_CASE(canonical_names) {
  BOOST_TEST(io::canonical_name("token_embd.weight") == "model.embed_tokens.weight");
  BOOST_TEST(io::canonical_name("output_norm.weight") == "model.norm.weight");
  BOOST_TEST(io::canonical_name("output.weight") == "lm_head.weight");
  BOOST_TEST(io::canonical_name("blk.0.attn_norm.weight") == "model.layers.0.input_layernorm.weight");
  BOOST_TEST(io::canonical_name("blk.7.attn_q.bias") == "model.layers.7.self_attn.q_proj.bias");
  BOOST_TEST(io::canonical_name("blk.12.attn_qkv.bias") == "model.layers.12.self_attn.qkv_proj.bias");
  BOOST_TEST(io::canonical_name("blk.3.attn_output.weight") == "model.layers.3.self_attn.o_proj.weight");
  BOOST_TEST(io::canonical_name("blk.1.post_attention_norm.weight") ==
             "model.layers.1.post_self_attn_layernorm.weight");
  BOOST_TEST(io::canonical_name("blk.1.ffn_norm.weight") == "model.layers.1.post_attention_layernorm.weight");
  BOOST_TEST(io::canonical_name("blk.1.ffn_up.weight") == "model.layers.1.mlp.gate_up_proj.weight");
  BOOST_TEST(io::canonical_name("blk.1.ffn_down.weight") == "model.layers.1.mlp.down_proj.weight");
  BOOST_TEST(io::canonical_name("blk.1.post_ffw_norm.weight") == "model.layers.1.post_mlp_layernorm.weight");
  // Not GLM-4 tensors: passed through for the loader to report.
  BOOST_TEST(io::canonical_name("rope_freqs.weight") == "rope_freqs.weight");
  BOOST_TEST(io::canonical_name("blk.x.attn_q.weight") == "blk.x.attn_q.weight");
  BOOST_TEST(io::canonical_name("blk.2.ffn_gate.weight") == "blk.2.ffn_gate.weight");
}

BOOST_AUTO_TEST_CASE(glm4_source_names_and_shapes) {
  const io::gguf_source src(open_fixture("glm4-small-Q4_K_M"));
  const auto names = src.names();
  BOOST_TEST(names.size() == 29u);
  const auto shape = [&](const std::string& n) {
    const auto t = src.find(n);
    BOOST_TEST_REQUIRE(t.has_value(), "missing " << n);
    return t->shape;
  };
  using shape_t = std::vector<std::int64_t>;
  BOOST_TEST((shape("model.embed_tokens.weight") == shape_t{1024, 256}));
  BOOST_TEST((shape("lm_head.weight") == shape_t{1024, 256}));
  BOOST_TEST((shape("model.norm.weight") == shape_t{256}));
  BOOST_TEST((shape("model.layers.0.self_attn.q_proj.weight") == shape_t{256, 256}));
  BOOST_TEST((shape("model.layers.0.self_attn.k_proj.weight") == shape_t{128, 256}));
  BOOST_TEST((shape("model.layers.0.self_attn.v_proj.bias") == shape_t{128}));
  BOOST_TEST((shape("model.layers.1.self_attn.o_proj.weight") == shape_t{256, 256}));
  BOOST_TEST((shape("model.layers.1.mlp.gate_up_proj.weight") == shape_t{1024, 256}));
  BOOST_TEST((shape("model.layers.1.mlp.down_proj.weight") == shape_t{256, 512}));
  for (const char* norm : {"input_layernorm", "post_self_attn_layernorm", "post_attention_layernorm",
                           "post_mlp_layernorm"})
    BOOST_TEST((shape("model.layers.1." + std::string(norm) + ".weight") == shape_t{256}));
  const auto down = src.find("model.layers.1.mlp.down_proj.weight");
  BOOST_TEST(down->file_name == "blk.1.ffn_down.weight");
  BOOST_TEST((down->type == q::ggml_type::q6_k));
  BOOST_TEST(down->bytes.size() == 256u * 512 / 256 * 210);
  BOOST_TEST(down->file.ends_with("glm4-small-Q4_K_M.gguf"));
  BOOST_TEST(down->owner != nullptr);  // the mapping outlives the source
  BOOST_TEST(!src.find("blk.1.ffn_down.weight").has_value());
  BOOST_TEST(src.describe().find("GGUF v3, glm4, 29 tensors") != std::string::npos, src.describe());
}

BOOST_AUTO_TEST_CASE(chatglm_source_has_fused_qkv) {
  const io::gguf_source src(open_fixture("glm-tiny-chatglm-Q8_0"));
  const auto qkv = src.find("model.layers.2.self_attn.qkv_proj.weight");
  BOOST_TEST_REQUIRE(qkv.has_value());
  BOOST_TEST((qkv->shape == std::vector<std::int64_t>{128 + 2 * 64, 128}));  // q | k | v rows
  BOOST_TEST(qkv->file_name == "blk.2.attn_qkv.weight");
  BOOST_TEST((src.find("model.layers.2.self_attn.qkv_proj.bias")->shape == std::vector<std::int64_t>{256}));
  BOOST_TEST(!src.find("model.layers.0.self_attn.q_proj.weight").has_value());
  BOOST_TEST(!src.find("model.layers.0.post_mlp_layernorm.weight").has_value());
  BOOST_TEST(src.find("lm_head.weight").has_value());
  BOOST_TEST(src.names().size() == 24u);
}

// Without output.weight the lm_head is tied to token_embd: the source has no
// lm_head and the shape says tied.
BOOST_AUTO_TEST_CASE(missing_output_means_tied_embeddings) {
  const auto f = open_fixture("glm4-small-Q8_0");
  io::gguf_writer w;
  for (const auto& kv : f->metadata()) w.set(kv.key, kv.value);
  for (const auto& t : f->tensors())
    if (t.name != "output.weight") w.add_tensor(t.name, t.type, t.shape(), t.bytes);
  const fs::path p = fs::temp_directory_path() / ("glm4_tied_" + std::to_string(::getpid()) + ".gguf");
  w.write(p);
  {
    const auto tied = io::gguf_file::open(p);
    BOOST_TEST(io::shape_from_gguf(*tied).tie_word_embeddings);
    const io::gguf_source src(tied);
    BOOST_TEST(!src.find("lm_head.weight").has_value());
    BOOST_TEST(src.find("model.embed_tokens.weight").has_value());
    // Everything else came through the writer unchanged.
    const auto* a = tied->find_tensor("blk.0.ffn_up.weight");
    const auto* b = f->find_tensor("blk.0.ffn_up.weight");
    BOOST_TEST(std::equal(a->bytes.begin(), a->bytes.end(), b->bytes.begin(), b->bytes.end()));
  }
  fs::remove(p);
}

BOOST_AUTO_TEST_CASE(other_architectures_are_refused) {
  io::gguf_writer w;
  w.set("general.architecture", std::string("llama"));
  const fs::path p = fs::temp_directory_path() / ("glm4_llama_" + std::to_string(::getpid()) + ".gguf");
  w.write(p);
  const auto f = io::gguf_file::open(p);
  try {
    io::gguf_source src(f);
    BOOST_ERROR("a llama file was accepted");
  } catch (const glm4::config_mismatch& e) {
    BOOST_TEST(std::string(e.what()).find("general.architecture is 'llama', expected 'glm4', 'chatglm' or 'glm130b'") !=
               std::string::npos);
  }
  BOOST_CHECK_THROW(io::shape_from_gguf(*f), glm4::config_mismatch);
  fs::remove(p);
}

BOOST_AUTO_TEST_CASE(embedded_vocabulary) {
  const auto v = io::vocab_from_gguf(*open_fixture("glm4-small-Q8_0"));
  BOOST_TEST(v.model == "gpt2");
  BOOST_TEST(v.pre == "glm4");
  BOOST_TEST(v.tokens.size() == 1024u);
  BOOST_TEST(v.token_types.size() == 1024u);
  BOOST_TEST(v.merges.size() == 736u);
  BOOST_TEST(v.tokens[0] == "!");
  BOOST_TEST(v.merges[0] == "Ġ Ġ");
  BOOST_TEST(v.eos_id.value() == 992);
  BOOST_TEST(v.eot_id.value() == 999);
  BOOST_TEST(v.bos_id.value() == 992);
  BOOST_TEST(v.tokens[992] == "<|endoftext|>");
  BOOST_TEST(v.tokens[999] == "<|user|>");
  BOOST_TEST(!v.eom_id.has_value());
  BOOST_TEST(v.chat_template.empty());

  const auto c = io::vocab_from_gguf(*open_fixture("glm-tiny-chatglm-Q8_0"));
  BOOST_TEST(!c.bos_id.has_value());  // the chatglm converter writes no BOS
  BOOST_TEST(c.eos_id.value() == 992);
  BOOST_TEST(c.tokens == v.tokens);
}

// YaRN metadata (as llama.cpp's converter writes it for rope_scaling type
// "yarn") fills rope_scaling; other scaling types are refused.
BOOST_AUTO_TEST_CASE(rope_scaling_from_metadata) {
  const auto f = open_fixture("glm4-small-Q8_0");
  const auto with = [&](const std::string& type, const std::string& file) {
    io::gguf_writer w;
    for (const auto& kv : f->metadata()) w.set(kv.key, kv.value);
    w.set("glm4.rope.scaling.type", type);
    w.set("glm4.rope.scaling.factor", 4.0f);
    w.set("glm4.rope.scaling.original_context_length", std::uint32_t{32});
    w.set("glm4.rope.scaling.yarn_beta_fast", 16.0f);
    w.set("glm4.rope.scaling.yarn_attn_factor", 1.25f);
    const fs::path p = fs::temp_directory_path() / (file + std::to_string(::getpid()) + ".gguf");
    w.write(p);
    auto opened = io::gguf_file::open(p);
    fs::remove(p);  // the mapping stays valid
    return opened;
  };
  const auto s = io::shape_from_gguf(*with("yarn", "glm4_yarn_"));
  BOOST_TEST(s.rope_scaling.factor == 4.0);
  BOOST_TEST(s.rope_scaling.original_max_positions == 32);
  BOOST_TEST(s.rope_scaling.beta_fast == 16.0);
  BOOST_TEST(s.rope_scaling.beta_slow == 1.0);
  BOOST_TEST(s.rope_scaling.attention_factor == 1.25);
  BOOST_CHECK_THROW(io::shape_from_gguf(*with("linear", "glm4_linear_")), glm4::config_mismatch);
}
