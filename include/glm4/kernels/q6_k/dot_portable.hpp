// q6_k's portable int16 dot (Highway, plain C++), compiled for every target,
// and what a target without kernels of its own runs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "glm4/kernels/int_helpers.hpp"
#include "glm4/kernels/q6_k/reference.hpp"
#include "glm4/kernels/simd.hpp"
#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels {

struct portable {
  // The 256 codes of a super-block minus `minus`, as int8: 32 for the signed
  // values, 0 for the codes themselves (the prefill panel, int8_panel.hpp).
#if HWY_TARGET == HWY_SCALAR
  static void codes_minus(const block& w, std::int8_t minus, std::int8_t q[256]) {
    for (int v = 0; v < 256; ++v) q[v] = static_cast<std::int8_t>(code(w, v) - minus);
  }
#else
  // 16 at a time with Highway byte ops.
  static void codes_minus(const block& w, std::int8_t minus, std::int8_t q[256]) {
    const hn::FixedTag<std::uint8_t, 16> du;
    const hn::FixedTag<std::int8_t, 16> di;
    const auto m4 = hn::Set(du, 15), m3 = hn::Set(du, 3);
    const auto off = hn::Set(di, minus);
    const auto store = [&](auto codes, int at) { hn::StoreU(hn::Sub(hn::BitCast(di, codes), off), di, q + at); };
    for (int h = 0; h < 2; ++h)
      for (int l = 0; l < 32; l += 16) {
        const auto qa = hn::LoadU(du, w.ql + 64 * h + l), qb = hn::LoadU(du, w.ql + 64 * h + 32 + l);
        const auto qh = hn::LoadU(du, w.qh + 32 * h + l);
        const int o = 128 * h + l;
        store(hn::Or(hn::And(qa, m4), hn::ShiftLeft<4>(hn::And(qh, m3))), o);
        store(hn::Or(hn::And(qb, m4), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(qh), m3))), o + 32);
        store(hn::Or(hn::ShiftRight<4>(qa), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(qh), m3))), o + 64);
        store(hn::Or(hn::ShiftRight<4>(qb), hn::ShiftLeft<4>(hn::ShiftRight<6>(qh))), o + 96);
      }
  }
#endif

  // The signed codes of each super-block, then one int32 dot per 16-value
  // sub-block, scaled in float.
  static float portable_dot(const block* w, const activation* a, std::size_t n) {
    float sum = 0.0f;
    alignas(16) std::int8_t q[256];
    for (std::size_t b = 0; b < n / 256; ++b) {
      codes_minus(w[b], 32, q);
      float qsum = 0.0f;
      for (int s = 0; s < 16; ++s)
        qsum +=
            static_cast<float>(w[b].scales[s]) * static_cast<float>(qdetail::idot(q + 16 * s, a[b].qs + 16 * s, 16));
      sum += a[b].d * qdetail::half_to_float(w[b].d) * qsum;
    }
    return sum;
  }
};

// The int16 dot of a target family: this one unless dot_<family>.hpp
// specializes it.
template <int16_family>
struct int16_dot : portable {
  static float dot(const block* w, const activation* a, std::size_t n) { return portable_dot(w, a, n); }
};

}  // namespace glm4::inline GLM4_TARGET::kernels::q6_k_kernels
