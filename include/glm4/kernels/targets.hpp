// The one place that decides which SIMD code this translation unit compiles,
// from the compiler's -march macros: Highway's static target (there is no
// runtime dispatch, HWY_COMPILE_ONLY_STATIC) and the integer kernel family
// of the quantized formats. Everything else reads these macros.
//
// GLM4_TARGET names the pair and is the inline namespace every header that
// runs kernels opens (`namespace glm4::inline GLM4_TARGET::kernels`), as
// Highway's own HWY_NAMESPACE: two translation units built for different
// targets then link into one program without the one-definition rule
// merging their inline functions (the linker would keep one copy, at random
// an illegal instruction or the slow path for the other). Callers write
// glm4::session as usual; the tag shows only in symbol names.
#pragma once

#ifndef HWY_COMPILE_ONLY_STATIC
#define HWY_COMPILE_ONLY_STATIC 1
#endif
#include <hwy/highway.h>

// --- the integer kernels of the quantized formats ---------------------------
// int8 decode (kernels/<format>/decode_*.hpp): weight bytes gathered with vpermt2b
// (AVX-512 VBMI: Ice Lake, Zen 4 and later, which all have GFNI too) and
// multiplied with vpdpbusd (VNNI).
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VBMI__) && \
    defined(__GFNI__) && defined(__F16C__)
#define GLM4_GEMV_AVX512VBMI 1
#endif
// Elsewhere on x86 with AVX2, q4_0, q5_0, q4_1, q5_1, q4_k, q5_k and q6_k
// decode with vpmaddubsw (their codes of up to 6 bits times int8 cannot
// saturate the int16 sums), and q8_0 with it on |q| and the activations'
// signs.
#if !defined(GLM4_GEMV_AVX512VBMI) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define GLM4_GEMV_AVX2 1
#endif
// On ARM64 with the dot-product extension (Armv8.4, optional from 8.2:
// -march=armv8.2-a+dotprod), q4_0, q4_1, q5_0, q5_1, q8_0, q4_k and q6_k
// decode one block at a time with sdot (16 multiply-adds per instruction,
// int16's vmlal: 8).
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define GLM4_GEMV_NEON_DOTPROD 1
#endif
// The x86 int16 kernel family (kernels/<format>/dot_*.hpp: prefill and the
// formats without an int8 decode kernel); elsewhere the portable Highway code.
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__F16C__)
#define GLM4_QDOT_AVX512VNNI 1
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define GLM4_QDOT_AVX2 1
#endif
// The int8 prefill panels (kernels/int8_panel.hpp) have a tile on both x86
// int16 families: vpdpbusd on AVX-512 VNNI, vpmaddubsw on AVX2.
#if defined(GLM4_QDOT_AVX512VNNI) || defined(GLM4_QDOT_AVX2)
#define GLM4_INT8_PANEL 1
#endif

// --- the namespace tag -------------------------------------------------------
#if defined(GLM4_GEMV_AVX512VBMI)
#define GLM4_INTEGER_FAMILY avx512vbmi
#elif defined(GLM4_QDOT_AVX512VNNI)
#define GLM4_INTEGER_FAMILY avx512vnni
#elif defined(GLM4_QDOT_AVX2)
#define GLM4_INTEGER_FAMILY avx2
#elif defined(GLM4_GEMV_NEON_DOTPROD)
#define GLM4_INTEGER_FAMILY dotprod
#else
#define GLM4_INTEGER_FAMILY portable
#endif
#define GLM4_TARGET_JOIN2(a, b) a##_##b
#define GLM4_TARGET_JOIN(a, b) GLM4_TARGET_JOIN2(a, b)
// e.g. N_AVX3_DL_avx512vbmi, N_AVX2_avx2, N_NEON_dotprod, N_SVE_portable.
#define GLM4_TARGET GLM4_TARGET_JOIN(HWY_NAMESPACE, GLM4_INTEGER_FAMILY)
#define GLM4_TARGET_STRING2(x) #x
#define GLM4_TARGET_STRING(x) GLM4_TARGET_STRING2(x)

// --- the same choices as values ----------------------------------------------
// For templates: a format's dot_traits (kernels/<format>.hpp) takes the
// kernels of these families, which its target headers specialize.
namespace glm4::inline GLM4_TARGET::kernels {
enum class int16_family { portable, avx2, avx512vnni };           // GLM4_QDOT_*
enum class int8_family { none, avx2, avx512vbmi, neon_dotprod };  // GLM4_GEMV_*
#if defined(GLM4_QDOT_AVX512VNNI)
inline constexpr int16_family int16_target = int16_family::avx512vnni;
#elif defined(GLM4_QDOT_AVX2)
inline constexpr int16_family int16_target = int16_family::avx2;
#else
inline constexpr int16_family int16_target = int16_family::portable;
#endif
#if defined(GLM4_GEMV_AVX512VBMI)
inline constexpr int8_family int8_target = int8_family::avx512vbmi;
#elif defined(GLM4_GEMV_AVX2)
inline constexpr int8_family int8_target = int8_family::avx2;
#elif defined(GLM4_GEMV_NEON_DOTPROD)
inline constexpr int8_family int8_target = int8_family::neon_dotprod;
#else
inline constexpr int8_family int8_target = int8_family::none;
#endif
}  // namespace glm4::inline GLM4_TARGET::kernels

// --- a build without SIMD ----------------------------------------------------
// Highway 1.0.3 has no baseline x86-64 (SSE2) target and its NEON target
// needs AES: without -march every kernel runs Highway's scalar emulation,
// several times slower. Say so when compiling, unless the user means it.
#if (HWY_STATIC_TARGET == HWY_EMU128 || HWY_STATIC_TARGET == HWY_SCALAR) && !defined(GLM4_ALLOW_EMULATED_SIMD)
#if defined(__x86_64__) || defined(_M_X64)
#warning "glm4.hpp: compiled without SIMD (Highway's scalar fallback), several times slower: add -march=native (this CPU), or -march=x86-64-v3 -maes -mpclmul (AVX2 CPUs), or define GLM4_ALLOW_EMULATED_SIMD"
#elif defined(__aarch64__)
#warning "glm4.hpp: compiled without SIMD (Highway's scalar fallback), several times slower than NEON: add -march=armv8.2-a+dotprod+crypto (Highway 1.0.3's NEON target needs the crypto extension), or define GLM4_ALLOW_EMULATED_SIMD"
#endif
#endif
// Highway 1.0.3's NEON target is compiled with the crypto extension; without
// +crypto in -march its code fails to inline with an obscure message.
#if defined(__aarch64__) && HWY_STATIC_TARGET == HWY_NEON && !defined(__ARM_FEATURE_AES)
#error "glm4.hpp: Highway 1.0.3's NEON target needs the crypto extension: add +crypto to -march (e.g. -march=armv8.2-a+dotprod+crypto); for a CPU without it (e.g. Raspberry Pi 4) build with -DHWY_DISABLED_TARGETS=HWY_NEON (scalar code, several times slower)"
#endif
// Highway 1.0.3's AVX2 and AVX3 targets also require AES and CLMUL, which
// -march=x86-64-v3 / -v4 do not imply: its float kernels then fall back to
// SSSE3 (half the vector width) while the integer ones use AVX2.
#if defined(__AVX2__) && (HWY_STATIC_TARGET == HWY_SSSE3 || HWY_STATIC_TARGET == HWY_SSE4) && \
    !defined(GLM4_ALLOW_EMULATED_SIMD)
#warning "glm4.hpp: AVX2 is enabled but Highway 1.0.3 selected its SSSE3/SSE4 target, because its AVX2 target also needs AES and CLMUL: add -maes -mpclmul (e.g. -march=x86-64-v3 -maes -mpclmul), or -march=native"
#endif
