// What a weight storage format is: ggml's idea of a "block" of elements that
// is stored as one unit (32 int8 values + a scale for q8_0, one uint16 for
// bf16, 256 values + sub-block scales for the k-quants). Every format is a
// type satisfying `block_format`; the model is written once against this
// concept, so adding a format means adding a type, not touching the model.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace glm4::quant {

// Type ids as ggml numbers them (ggml.h `enum ggml_type`); GGUF stores these.
enum class ggml_type : std::uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  iq4_nl = 20,
  iq4_xs = 23,
  bf16 = 30,
};

// A storage format. `block` is the stored unit holding `block_elems` values;
// rows of a weight matrix are whole numbers of blocks.
//   dequantize(blocks, out, n): n values (a multiple of block_elems) to f32.
//   quantize(in, blocks, n):    the reference (round-to-nearest or ggml's
//                               scale search) encoder of n values.
template <class F>
concept block_format =
    std::is_trivially_copyable_v<typename F::block> &&
    requires(const typename F::block* src, typename F::block* dst, const float* in, float* out,
             std::size_t n) {
      { F::name } -> std::convertible_to<std::string_view>;
      { F::type } -> std::convertible_to<ggml_type>;
      { F::block_elems } -> std::convertible_to<std::size_t>;
      F::dequantize(src, out, n);
      F::quantize(in, dst, n);
    };

template <block_format F>
inline constexpr std::size_t block_bytes = sizeof(typename F::block);

// Bytes of `n` values stored as F (n a multiple of F::block_elems).
template <block_format F>
constexpr std::size_t storage_bytes(std::size_t n) {
  return n / F::block_elems * block_bytes<F>;
}

}  // namespace glm4::quant
