// What the int8 decode kernels of every target share (each format's
// decode_*.hpp): the scale factor of their activation layouts and their
// prefetch of the rows ahead.
#pragma once

#include <cstddef>

#include "glm4/kernels/targets.hpp"

namespace glm4::inline GLM4_TARGET::kernels::qdetail {

// The factor the f16-block decode kernels want their activation scales
// stored times, and its inverse for their sums times 2^-112 (add_scaled,
// x86/avx512_gemv_rows.hpp); NEON converts f16 scales exactly with fcvt and
// needs neither.
#if defined(GLM4_GEMV_AVX512VBMI)
inline constexpr float f16_fold = 0x1p80f, f16_unfold = 0x1p32f;
#else
inline constexpr float f16_fold = 1.0f, f16_unfold = 1.0f;
#endif

// The decode kernels' prefetch, at step g of `groups` steps of `step` bytes
// over R contiguous rows: the same slice of the R rows after the next R
// into L2 (__builtin_prefetch locality 2: prefetcht1), so the rows ahead
// arrive as one sequential stream (see gemv_rows for what it measured).
// Past the matrix end a prefetch is a no-op. prefetch_l2 fetches `bytes`
// from p, a prefetch per cache line.
inline void prefetch_l2(const void* p, std::size_t bytes) {
  for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(static_cast<const char*>(p) + off, 0, 2);
}
inline void prefetch_rows_ahead(const void* row0, std::size_t step, std::size_t groups, std::size_t g) {
  prefetch_l2(static_cast<const char*>(row0) + step * (2 * groups + g), step);
}

}  // namespace glm4::inline GLM4_TARGET::kernels::qdetail
