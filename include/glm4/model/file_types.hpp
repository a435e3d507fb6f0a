// The weight schemes that hold llama.cpp's GGUF file types in place, each
// named as llama-quantize names the type. A file type is a name and a scheme;
// `file_types::all` is the ready list glm4::open_model tries in order.
//
// Why the roles accept several formats: llama-quantize gives the output
// matrix (and the embedding of a tied model) Q6_K, gives some layers'
// attn_v / ffn_down more bits (Q4_K_S: Q5_K, Q4_K_M: Q6_K), gives the
// fused attn_qkv of chatglm files Q5_K / Q6_K, and falls back where a row is
// no multiple of 256 values (GLM-4-9B's ffn_down rows are 13696 wide):
// Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0. `--pure` files keep the base
// type everywhere, which each role also accepts.
#pragma once

#include <concepts>
#include <string_view>
#include <type_traits>

#include "glm4/kernels/repacked_rows.hpp"
#include "glm4/kernels/targets.hpp"
#include "glm4/model/weight_scheme.hpp"

namespace glm4::inline GLM4_TARGET::file_types {

template <class T>
concept file_type = requires {
  { T::name } -> std::convertible_to<std::string_view>;
  typename T::scheme;
} && weights::weight_scheme<typename T::scheme>;

template <file_type... Ts>
struct list {};

namespace detail {
namespace q = quant;
using weights::any_of;
using weights::scheme;

// The layers' matrices of format F: repacked at load where this target has
// F's repacked kernels (q4_0 on AVX-512 VNNI and AVX2, q4_k and q8_0 on
// AVX2: a pass of a few tokens then reads and unpacks each weight once for
// all of them), in place elsewhere.
template <q::block_format F, bool = kernels::has_repacked_kernels<F>>
struct layers_role {
  using type = F;
};
template <q::block_format F>
struct layers_role<F, true> {
  using type = weights::repacked<F>;
};
template <q::block_format F>
using layers_of = typename layers_role<F>::type;

// Q4_0, Q4_1, Q5_0, Q8_0: one base format, a Q6_K (or Q8_0) output.
template <q::block_format Base>
using legacy = scheme<any_of<Base, q::q6_k, q::q8_0>, layers_of<Base>, layers_of<Base>, any_of<q::q6_k, q::q8_0, Base>>;

// Q4_K_S / Q4_K_M, Q5_K_S / Q5_K_M: `Layers` for attention and FFN
// matrices, `Embedding` for token_embd (the base type or its fallback), the
// output Q6_K, Q8_0 or (`--pure`, glm4 quantize's _S) the base type.
template <q::block_format Base, class Embedding, class Layers>
using k_mix = scheme<Embedding, Layers, Layers, any_of<q::q6_k, q::q8_0, Base>>;
}  // namespace detail

struct f32 {
  static constexpr std::string_view name = "F32";
  using scheme = weights::f32;
};
struct f16 {
  static constexpr std::string_view name = "F16";
  using scheme = weights::uniform<quant::f16>;
};
struct bf16 {
  static constexpr std::string_view name = "BF16";
  using scheme = weights::bf16;
};
struct q8_0 {
  static constexpr std::string_view name = "Q8_0";
  using scheme = weights::scheme<weights::any_of<quant::q8_0, quant::q6_k>, detail::layers_of<quant::q8_0>,
                                 detail::layers_of<quant::q8_0>, weights::any_of<quant::q8_0, quant::q6_k>>;
};
struct q4_0 {
  static constexpr std::string_view name = "Q4_0";
  using scheme = detail::legacy<quant::q4_0>;
};
struct q4_1 {
  static constexpr std::string_view name = "Q4_1";
  using scheme = detail::legacy<quant::q4_1>;
};
struct q5_0 {
  static constexpr std::string_view name = "Q5_0";
  using scheme = detail::legacy<quant::q5_0>;
};
// Q4_K_S and Q4_K_M.
struct q4_k {
  static constexpr std::string_view name = "Q4_K";
  using scheme = detail::k_mix<quant::q4_k, weights::any_of<quant::q4_k, quant::q5_0, quant::q6_k, quant::q8_0>,
                               weights::any_of<detail::layers_of<quant::q4_k>, quant::q5_k, quant::q6_k, quant::q5_0,
                                               quant::q5_1, detail::layers_of<quant::q8_0>>>;
};
// Q5_K_S and Q5_K_M.
struct q5_k {
  static constexpr std::string_view name = "Q5_K";
  using scheme = detail::k_mix<quant::q5_k, weights::any_of<quant::q5_k, quant::q5_1, quant::q6_k, quant::q8_0>,
                               weights::any_of<quant::q5_k, quant::q6_k, quant::q5_1, detail::layers_of<quant::q8_0>>>;
};
// IQ4_NL and IQ4_XS. Without an importance matrix llama-quantize gives
// attn_v Q5_K where a KV head serves 4 or more query heads (GLM-4: 16) and
// the first eighth of the layers' ffn_down Q5_K (falling back to Q5_1);
// IQ4_XS's own fallback is IQ4_NL, so its files hold both.
struct iq4_nl {
  static constexpr std::string_view name = "IQ4_NL";
  using scheme = detail::k_mix<quant::iq4_nl, weights::any_of<quant::iq4_nl, quant::q6_k, quant::q8_0>,
                               weights::any_of<quant::iq4_nl, quant::q5_k, quant::q5_1>>;
};
struct iq4_xs {
  static constexpr std::string_view name = "IQ4_XS";
  using scheme =
      detail::k_mix<quant::iq4_xs, weights::any_of<quant::iq4_xs, quant::iq4_nl, quant::q6_k, quant::q8_0>,
                    weights::any_of<quant::iq4_xs, quant::iq4_nl, quant::q5_k, quant::q5_1>>;
};
struct q6_k {
  static constexpr std::string_view name = "Q6_K";
  using role = weights::any_of<quant::q6_k, quant::q8_0>;
  using layers = weights::any_of<quant::q6_k, detail::layers_of<quant::q8_0>>;
  using scheme = weights::scheme<role, layers, layers, role>;
};

// GLM-130B's weight-only quantization (io/sat_checkpoint.hpp): the four
// projections of each layer as q8_0 / q4_0 holding its codes exactly, or as
// f32 where a model-parallel partition's width is no whole number of blocks;
// the word embedding, which is also the output, stays f16.
struct int8 {
  static constexpr std::string_view name = "INT8";
  using role = weights::any_of<quant::q8_0, quant::f32>;
  using scheme = weights::scheme<quant::f16, role, role, quant::f16>;
};
struct int4 {
  static constexpr std::string_view name = "INT4";
  using role = weights::any_of<quant::q4_0, quant::f32>;
  using scheme = weights::scheme<quant::f16, role, role, quant::f16>;
};

// What GLM-130B checkpoints hold: fp16, or INT8 / INT4.
using glm130b = list<f16, bf16, f32, int8, int4>;

// Every type llama-quantize writes for GLM-4 that glm4.hpp stores, plus the
// float types a converter writes. The first that holds a file in place wins,
// so a type comes before the wider mixes that would also hold its files
// (Q6_K before Q5_K and Q4_K, which accept Q6_K tensors).
using all = list<bf16, f16, f32, q8_0, q6_k, q4_0, q4_1, q5_0, q5_k, q4_k, iq4_nl, iq4_xs>;

// The name of the first file type in `types` whose scheme is S; empty if none.
template <weights::weight_scheme S, file_type... Ts>
constexpr std::string_view name_of(list<Ts...> = {}) {
  std::string_view name;
  (void)((std::is_same_v<typename Ts::scheme, S> ? (name = Ts::name, true) : false) || ...);
  return name;
}

}  // namespace glm4::inline GLM4_TARGET::file_types
