// The list of storage formats glm4.hpp knows, and the load-time bridge from a
// runtime ggml type id (what a file says) to a compile-time format (what the
// model was built with). Only loading crosses this bridge; compute never does.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "glm4/core/error.hpp"
#include "glm4/quant/bf16.hpp"
#include "glm4/quant/block_format.hpp"
#include "glm4/quant/f16.hpp"
#include "glm4/quant/f32.hpp"
#include "glm4/quant/iq4_nl.hpp"
#include "glm4/quant/iq4_xs.hpp"
#include "glm4/quant/q4_0.hpp"
#include "glm4/quant/q4_1.hpp"
#include "glm4/quant/q4_k.hpp"
#include "glm4/quant/q5_0.hpp"
#include "glm4/quant/q5_1.hpp"
#include "glm4/quant/q5_k.hpp"
#include "glm4/quant/q6_k.hpp"
#include "glm4/quant/q8_0.hpp"

namespace glm4::quant {

template <block_format... Fs>
struct format_list {};

// The one list: every tool and test that enumerates formats (the quantizer's
// TYPE names, make_random_gguf, the kernel benchmark, the block format tests)
// derives from it, through for_each_format, format_names or the list itself,
// so a format added here is known to all of them.
using known_formats = format_list<f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k,
                                 iq4_nl, iq4_xs>;

// Calls `visit.template operator()<F>()` for every known format, in order.
template <class Visitor>
void for_each_format(Visitor&& visit) {
  [&]<block_format... Fs>(format_list<Fs...>) { (visit.template operator()<Fs>(), ...); }(known_formats{});
}

// The known formats' names, space-separated: "f32 f16 bf16 q8_0 ...".
inline std::string format_names() {
  std::string names;
  for_each_format([&]<block_format F>() {
    if (!names.empty()) names += ' ';
    names += F::name;
  });
  return names;
}

namespace detail {
template <class Visitor, block_format... Fs>
bool visit_format(ggml_type type, Visitor&& visit, format_list<Fs...>) {
  return ((Fs::type == type ? (visit.template operator()<Fs>(), true) : false) || ...);
}
}  // namespace detail

// Calls `visit.template operator()<F>()` for the format whose id is `type`;
// false when glm4.hpp does not know that type.
template <class Visitor>
bool visit_format(ggml_type type, Visitor&& visit) {
  return detail::visit_format(type, visit, known_formats{});
}

inline std::string type_name(ggml_type type) {
  std::string name;
  if (!visit_format(type, [&]<block_format F>() { name = F::name; }))
    name = "ggml type " + std::to_string(static_cast<unsigned>(type));
  return name;
}

// Elements per block and bytes per block of a runtime type; throws
// format_error for a type glm4.hpp cannot decode.
struct type_traits {
  std::size_t block_elems;
  std::size_t block_bytes;
};
inline type_traits traits_of(ggml_type type) {
  type_traits t{};
  if (!visit_format(type, [&]<block_format F>() { t = {F::block_elems, quant::block_bytes<F>}; }))
    throw format_error("unsupported tensor type " + type_name(type));
  return t;
}

// Decodes `n` values of runtime type `type` from `bytes` into `out`.
inline void dequantize(ggml_type type, std::span<const std::byte> bytes, float* out, std::size_t n) {
  if (!visit_format(type, [&]<block_format F>() {
        F::dequantize(reinterpret_cast<const typename F::block*>(bytes.data()), out, n);
      }))
    throw format_error("unsupported tensor type " + type_name(type));
}

}  // namespace glm4::quant
