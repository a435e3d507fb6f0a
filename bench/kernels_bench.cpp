// The kernels of a forward pass in isolation: glm4::matmul for every known
// block format with a SIMD kernel, at the 9B's projection shapes, for decode (n = 1,
// bound by streaming the weights) and prefill (n = 64, where each weight tile
// is reused from cache and arithmetic should dominate), with int8 and int16
// activations for the integer formats; the elementwise kernels at the
// hidden and FFN widths; decode's attention over a KV cache of each
// format at several depths; the rates of vpdpbusd and vpmaddubsw, the
// integer peaks the prefill panels are measured against (AVX-512 VNNI,
// AVX2); and how much of the first a core keeps while it streams weights
// from DRAM (stream_multiply_adds), against what it computes with the
// weights in cache (gemv_in_cache).
//
//   glm4_kernels_bench --benchmark_filter='matmul/q4_0/.*/n:1/'
//
// bytes_per_second counts weight bytes (one pass over the matrix per call,
// from DRAM: see weight_copies), to compare with glm4-bench's memory
// bandwidth; FLOP/s counts 2 rows cols n.
// Times are wall-clock (the thread pool's workers are not the timed thread).
#include <benchmark/benchmark.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "glm4/config/model_shape.hpp"
#include "glm4/kernels/activation_precision.hpp"
#include "glm4/kernels/attention.hpp"
#include "glm4/kernels/dot.hpp"
#include "glm4/kernels/q4_0.hpp"
#include "glm4/kernels/rms_norm.hpp"
#include "glm4/kernels/silu_mul.hpp"
#include "glm4/kernels/softmax.hpp"
#include "glm4/model/kv_cache.hpp"
#include "glm4/quant/formats.hpp"
#include "glm4/quant/matrix.hpp"
#include "glm4/runtime/matmul.hpp"
#include "glm4/runtime/thread_pool.hpp"

namespace {

namespace q = glm4::quant;

// Deterministic values in about [-1, 1), fast enough for 56M of them.
std::vector<float> random_floats(std::size_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<float>(static_cast<std::int64_t>(s >> 40) - (1 << 23)) / static_cast<float>(1 << 23);
  }
  return v;
}

// Copies of one rows x cols matrix of random weights quantized to F, enough
// of them to fill 256 MiB (at least 2), so that a benchmark cycling through
// them reads its weights from DRAM as a forward pass does, not from a
// last-level cache that one 4096 x 4096 quantized matrix would fit. Built
// once per shape (Google Benchmark calls a benchmark several times per
// argument set); building another format's releases the previous one.
void (*release_held_copies)() = nullptr;  // frees the format whose copies are held

template <q::block_format F>
const std::vector<glm4::matrix<F>>& weight_copies(std::size_t rows, std::size_t cols) {
  static std::pair<std::size_t, std::size_t> key{0, 0};
  static std::vector<glm4::matrix<F>> copies;
  if (key == std::pair(rows, cols) && !copies.empty()) return copies;
  if (release_held_copies) release_held_copies();
  release_held_copies = [] {
    copies.clear();
    copies.shrink_to_fit();
  };
  key = {rows, cols};
  const std::size_t per_row = cols / F::block_elems, count = rows * per_row;
  std::vector<typename F::block> first(count);
  const std::vector<float> values = random_floats(rows * cols, rows * 31 + cols);
  for (std::size_t r = 0; r < rows; ++r) F::quantize(values.data() + r * cols, first.data() + r * per_row, cols);
  const std::size_t bytes = count * sizeof(typename F::block);
  const std::size_t n = std::max<std::size_t>(2, ((std::size_t{256} << 20) + bytes - 1) / bytes);
  for (std::size_t i = 0; i < n; ++i) {
    auto blocks = std::make_shared<std::vector<typename F::block>>(first);
    copies.emplace_back(blocks->data(), rows, cols, blocks);
  }
  return copies;
}

template <q::block_format F, glm4::kernels::activation_precision P>
void matmul(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto cols = static_cast<std::size_t>(state.range(1));
  const auto n = static_cast<std::size_t>(state.range(2));
  const auto threads = static_cast<std::size_t>(state.range(3));
  const auto& ws = weight_copies<F>(rows, cols);
  const std::vector<float> x = random_floats(n * cols, 7);
  std::vector<float> y(n * rows);
  glm4::thread_pool pool(threads);
  std::size_t next = 0;
  for (auto _ : state) {
    glm4::matmul<P>(ws[next], x.data(), n, y.data(), pool);
    next = next + 1 == ws.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const auto iters = static_cast<double>(state.iterations());
  const std::size_t bytes = ws.front().bytes();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(rows * cols * n) * iters, benchmark::Counter::kIsRate);
  state.counters["weight_MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// 9B shapes: q/o_proj 4096 x 4096 and the gate or up half of gate_up_proj
// 13696 x 4096 (rows x cols); decode, passes of 4 and 8 tokens (drafts,
// batched decode) and a prefill batch; 1 and 2 threads.
void matmul_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols", "n", "threads"});
  for (std::int64_t rows : {4096, 13696})
    for (std::int64_t n : {1, 4, 8, 64})
      for (std::int64_t threads : {1, 2}) b->Args({rows, 4096, n, threads});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

// matmul/FORMAT: the default int8 activations of the integer formats;
// matmul_int16/FORMAT: kernels::int16_activations (float formats: one path).
// Formats whose integer rows have no SIMD kernel yet (f32 activations against
// the scalar reference) are left out: their time measures no kernel.
const bool registered = [] {
  namespace k = glm4::kernels;
  q::for_each_format([]<q::block_format F>() {
    constexpr bool is_float = F::block_elems == 1;
    constexpr bool integer = !std::is_same_v<typename k::dot_traits<F>::activation, float>;
    if constexpr (is_float || integer)
      benchmark::RegisterBenchmark(("matmul/" + std::string(F::name)).c_str(), matmul<F, k::int8_activations>)
          ->Apply(matmul_args);
    if constexpr (integer)
      benchmark::RegisterBenchmark(("matmul_int16/" + std::string(F::name)).c_str(), matmul<F, k::int16_activations>)
          ->Apply(matmul_args);
  });
  return true;
}();

// ---- elementwise kernels, one row ------------------------------------------

void rms_norm(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto x = random_floats(n, 1), weight = random_floats(n, 2);
  std::vector<float> y(n);
  for (auto _ : state) {
    glm4::kernels::rms_norm(x.data(), weight.data(), 1e-5f, y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 3 * n * sizeof(float)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// In place, as attention uses it; a softmax of a softmax stays finite.
void softmax(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto x = random_floats(n, 3);
  for (auto& v : x) v *= 8.0f;
  for (auto _ : state) {
    glm4::kernels::softmax(x.data(), n);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * n * sizeof(float)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void silu_mul(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto gate = random_floats(n, 4), up = random_floats(n, 5);
  std::vector<float> out(n);
  for (auto _ : state) {
    glm4::kernels::silu_mul(gate.data(), up.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 3 * n * sizeof(float)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// One decode token's attention at the 9B's shape (40 layers; 2 KV heads,
// each read by a group of 16 query heads; head_dim 128) over `positions`
// cached ones, on one thread (the forward pass gives each thread its own
// KV heads). bytes_per_second counts the cache's bytes read; past the last
// level cache they come from DRAM, as a session's do.
template <glm4::kv_format F>
void attention(benchmark::State& state) {
  const auto positions = static_cast<std::size_t>(state.range(0));
  glm4::model_shape s;
  s.num_layers = 40;
  s.num_heads = 32;
  s.num_kv_heads = 2;
  s.head_dim = 128;
  const std::size_t D = 128, group = 16;
  glm4::kv_cache<F> cache(s, static_cast<std::int64_t>(positions));
  // keys and values: windows of one pool, scores spread over a few units
  auto pool = random_floats(1 << 16, 6);
  for (auto& x : pool) x *= 4.0f;
  for (std::size_t l = 0, at = 0; l < 40; ++l)
    for (std::size_t h = 0; h < 2; ++h)
      for (std::size_t p = 0; p < positions; ++p, at = (at * 7 + 1999) % (pool.size() - 2 * D))
        cache.store(l, h, p, &pool[at], &pool[at + D]);
  const auto q = random_floats(group * 2 * D, 7);
  std::vector<float> out(q.size());
  glm4::kernels::attention_scratch scratch(D, group);
  for (auto _ : state) {
    for (std::size_t l = 0; l < 40; ++l)
      for (std::size_t h = 0; h < 2; ++h)
        glm4::kernels::attend_group(cache, l, h, &q[h * group * D], &out[h * group * D], group * 2 * D, 1, group, D,
                                    positions, scratch);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(*glm4::kv_cache<F>::bytes_for(s, static_cast<std::int64_t>(positions))));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * positions));
}

// ---- the machine's integer peak --------------------------------------------

// An instruction's rate: `step` on 16 independent accumulators (enough to
// hide its latency on every port that runs it), on each benchmark thread.
// GOP/s counts 2 operations per multiply-add, over all threads (Threads(2):
// both cores), as prefill's integer GOP/s in docs/performance.md does.
template <class Vector, class Step>
void instruction_peak(benchmark::State& state, Vector zero, Step step, int multiply_adds_per_instruction) {
  constexpr int chains = 16, steps = 1024;
  Vector acc[chains];
  for (auto& a : acc) a = zero;
  for (auto _ : state) {
    for (int i = 0; i < steps; ++i) {
#pragma GCC unroll 16
      for (auto& a : acc) a = step(a);
    }
    for (auto& a : acc) benchmark::DoNotOptimize(a);
  }
  state.counters["GOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * steps * chains * multiply_adds_per_instruction * 2,
      benchmark::Counter::kIsRate);
}

// vpdpbusd's rate, what the AVX-512 VNNI prefill panel's tile is made of: 64
// multiply-adds per instruction.
void vnni_peak(benchmark::State& state) {
#if defined(__AVX512VNNI__)
  const __m512i u = _mm512_set1_epi32(0x01020304), s = _mm512_set1_epi32(0x05060708);
  instruction_peak(state, _mm512_setzero_si512(), [&](__m512i a) { return _mm512_dpbusd_epi32(a, u, s); }, 64);
#else
  state.SkipWithError("skipped: built without AVX-512 VNNI");
#endif
}

// vpmaddubsw's rate, what AVX2's panel and repacked tiles are made of: 32
// multiply-adds per instruction into int16 pair sums (the vpmaddwd that
// takes them on to int32 shares its port on the cores measured, so it is not
// counted as work).
void maddubs_peak(benchmark::State& state) {
#if defined(__AVX2__)
  const __m256i s = _mm256_set1_epi32(0x05060708);
  instruction_peak(state, _mm256_setzero_si256(), [&](__m256i a) { return _mm256_maddubs_epi16(a, s); }, 32);
#else
  state.SkipWithError("skipped: built without AVX2");
#endif
}

// ---- streaming against computing ------------------------------------------

// Whether a core can stream weights from DRAM at decode's rate and compute
// several tokens on them at once, as a batched pass or a speculative
// decoding pass of `Tokens` tokens must: each thread streams its half of
// 1 GiB of q4_0 weight groups (72 bytes, 128 weights) through the small
// batches' tile (qdetail::gemv_tile, 16 groups per call against activations
// that stay in L1), which unpacks each group once with the q4_0 VBMI decode
// kernel's unpacker, prefetches 9 KiB ahead into L2 as decode does, and adds
// the group into every token's sums. With DecodeSteps each token's step is
// decode's own (two vpdpbusd, then convert, scale and fused add), as in a
// pass that equals decode bit for bit; without, only the two vpdpbusd, the
// least any arithmetic does. bytes_per_second over all threads.
#if defined(GLM4_GEMV_AVX512VBMI)
template <std::size_t Tokens, bool DecodeSteps>
void stream_multiply_adds(benchmark::State& state) {
  namespace k = glm4::kernels;
  using decode = k::q4_0_kernels::int8_decode<k::int8_family::avx512vbmi>;
  constexpr std::size_t total = std::size_t{1} << 30, padded = total + (std::size_t{2} << 20);
  constexpr std::size_t group = 72, groups_per_call = 16, ahead = 9216;
  static const std::uint8_t* const weights = [] {
    auto* p = static_cast<std::uint8_t*>(std::aligned_alloc(std::size_t{2} << 20, padded));
    madvise(p, padded, MADV_HUGEPAGE);
    // q4_0 blocks (an f16 scale, 16 bytes of codes) with scales of 2^-7 ..
    // 2^-6, as trained weights have: random scale bytes would make
    // subnormal products, which cost microcode assists on Intel cores
    for (std::size_t i = 0; i < padded; ++i) {
      const auto random = static_cast<std::uint8_t>(i * 2654435761u >> 13);
      p[i] = i % sizeof(q::q4_0::block) == 1 ? 0x20 : random;
    }
    return p;
  }();
  const std::size_t call_bytes = groups_per_call * group;
  const std::size_t calls = total / call_bytes / static_cast<std::size_t>(state.threads());
  const std::uint8_t* begin = weights + calls * call_bytes * static_cast<std::size_t>(state.thread_index());
  std::vector<decode::gemv_activation> act(Tokens * groups_per_call);
  const auto x = random_floats(decode::gemv_activation::values * act.size(), 8);
  decode::gemv_prepare(x.data(), act.data(), x.size());
  const decode::unpacker unpack;
  const auto step = [](const auto& u, const auto& a, __m512 sum) {
    if constexpr (DecodeSteps) {
      return decode::apply(u, a, sum);
    } else {
      const __m512i isum = _mm512_dpbusd_epi32(_mm512_castps_si512(sum), u.lo, a.lo);
      return _mm512_castsi512_ps(_mm512_dpbusd_epi32(isum, u.hi, a.hi));
    }
  };
  for (auto _ : state) {
    __m512 acc[Tokens] = {};
    for (std::size_t c = 0; c < calls; ++c)
      k::qdetail::gemv_tile<1, Tokens, group>(begin + c * call_bytes, 0, 0, groups_per_call, act.data(),
                                              groups_per_call, acc, ahead, unpack, step);
    float sum = 0;
    for (const __m512 s : acc) sum += _mm512_reduce_add_ps(s);
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * calls * call_bytes));
}
template <bool DecodeSteps, std::size_t... Tokens>
bool register_stream_multiply_adds(std::index_sequence<Tokens...>) {
  (benchmark::RegisterBenchmark(("stream_multiply_adds/" + std::string(DecodeSteps ? "decode_steps" : "multiply_adds_only") +
                                 "/tokens:" + std::to_string(Tokens))
                                    .c_str(),
                                stream_multiply_adds<Tokens, DecodeSteps>)
       ->Threads(1)
       ->Threads(2)
       ->UseRealTime(),
   ...);
  return true;
}
const bool stream_registered = register_stream_multiply_adds<true>(std::index_sequence<1, 2, 4, 8>{}) &&
                               register_stream_multiply_adds<false>(std::index_sequence<1, 2, 4, 8>{});
#endif

// What one core computes for a pass of `tokens` tokens when the weights are
// already in cache: kernels::gemv_rows, the matmul of one token (decode's
// row pairs) and of a few (the small batches' tile), over 64 rows of 4096
// columns (144 KiB in q4_0 and q4_k, 176 in q5_0, 210 in q6_k, 272 in q8_0:
// L2) on the calling thread. s_per_group is the time per group of decode's
// step (q4_0, q5_0: 128 weights; q8_0: 64; q4_k, q6_k: a super-block), all
// tokens; a pass of k tokens is bound by compute where it exceeds the time
// a group takes to arrive from DRAM at decode's rate (group bytes /
// (bandwidth / threads)).
template <q::block_format F>
void gemv_in_cache(benchmark::State& state) {
  namespace k = glm4::kernels;
  if constexpr (k::has_gemv<F>) {
    using traits = k::dot_traits<F>;
    using act = typename traits::gemv_activation;
    const auto tokens = static_cast<std::size_t>(state.range(0));
    constexpr std::size_t rows = 64, cols = 4096, groups = cols / act::values;
    std::vector<typename F::block> blocks(rows * cols / F::block_elems);
    F::quantize(random_floats(rows * cols, 11).data(), blocks.data(), rows * cols);
    const glm4::matrix<F> w(blocks.data(), rows, cols, nullptr);
    const std::vector<float> x = random_floats(tokens * cols, 12);
    std::vector<act> a(tokens * groups);
    for (std::size_t t = 0; t < tokens; ++t) traits::gemv_prepare(x.data() + t * cols, a.data() + t * groups, cols);
    std::vector<float> y(tokens * rows);
    for (auto _ : state) {
      k::gemv_rows(w, a.data(), groups, tokens, 0, rows, y.data(), nullptr);
      benchmark::DoNotOptimize(y.data());
      benchmark::ClobberMemory();
    }
    state.counters["s_per_group"] = benchmark::Counter(static_cast<double>(state.iterations() * rows * groups),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  } else {
    state.SkipWithError("skipped: no int8 decode kernel for this format on this target");
  }
}

}  // namespace

BENCHMARK_TEMPLATE(gemv_in_cache, q::q4_0)->ArgName("tokens")->Arg(1)->Arg(2)->Arg(4)->Arg(8);
BENCHMARK_TEMPLATE(gemv_in_cache, q::q4_k)->ArgName("tokens")->Arg(1)->Arg(2)->Arg(4)->Arg(8);
BENCHMARK_TEMPLATE(gemv_in_cache, q::q6_k)->ArgName("tokens")->Arg(1)->Arg(2)->Arg(4)->Arg(8);
BENCHMARK_TEMPLATE(gemv_in_cache, q::q5_0)->ArgName("tokens")->Arg(1)->Arg(2)->Arg(4)->Arg(8);
BENCHMARK_TEMPLATE(gemv_in_cache, q::q8_0)->ArgName("tokens")->Arg(1)->Arg(2)->Arg(4)->Arg(8);
BENCHMARK(rms_norm)->ArgName("n")->Arg(4096)->Arg(13696);
BENCHMARK(softmax)->ArgName("n")->Arg(4096)->Arg(13696);
BENCHMARK(silu_mul)->ArgName("n")->Arg(4096)->Arg(13696);
BENCHMARK_TEMPLATE(attention, q::f32)->ArgName("positions")->Arg(512)->Arg(4096)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(attention, q::f16)->ArgName("positions")->Arg(512)->Arg(4096)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(attention, q::q8_0)->ArgName("positions")->Arg(512)->Arg(4096)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(vnni_peak)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(maddubs_peak)->Threads(1)->Threads(2)->UseRealTime();
