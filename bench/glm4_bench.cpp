// glm4-bench: prompt-processing and generation throughput of a GGUF model, in
// the shape of llama.cpp's llama-bench, plus where decode stands against the
// memory-bandwidth roofline.
//
//   glm4-bench -m FILE.gguf [-t THREADS] [-p 512] [-n 128] [-r 3] [-d 0] [-b 128] [--context N]
//              [--parallel N] [--cache-type f32|f16|q8_0]
//
// pp<P>: P random tokens prefilled into an empty session (timed).
// tg<N>: one untimed token, then N decode steps of random tokens (timed),
//        in segments of 8 with an untimed pass of the bandwidth probe over
//        the token embedding before and after each ("bandwidth during tg").
// tg<N> x<P> (--parallel P): P sessions decode together, one token each per
//        forward pass (session::forward_together); t/s counts all P streams,
//        as llama-batched-bench's S_TG.
// Each test runs r times after one untimed 1-token warm-up pass (which also
// faults the mapped weights in), with -d D from a session already holding D
// random tokens (untimed; "pp512 @ d4096"); t/s is the mean +- sample stddev.
//
// The file's shape is matched at run time against the configurations compiled
// in below, and its tensor types pick the weight scheme from the library's
// ready list (glm4::file_types::all), so the weights are used in place from
// the mapping as the file stores them.
// docs/performance.md explains the columns and the roofline.
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <glm4/build_info.hpp>
#include <glm4/config/shipped_models.hpp>
#include <glm4/glm4.hpp>
#include <glm4/io/gguf_source.hpp>
#include <glm4/io/hf_config.hpp>

#include "bandwidth.hpp"

namespace {

namespace q = glm4::quant;
namespace w = glm4::weights;

// A ~1.5B GLM-4-0414-style shape (the 9B's layout at half width, 16 layers):
// between the test fixtures and the 9B, for quick runs of a real-sized layer.
struct glm4_1b : glm4::presets::glm4_9b_0414 {
  static constexpr std::string_view name = "glm4-1b";
  static constexpr std::int64_t hidden_size = 2048;
  static constexpr std::int64_t intermediate_size = 6912;
  static constexpr std::int64_t num_layers = 16;
  static constexpr std::int64_t num_heads = 16;
  static constexpr std::int64_t num_kv_heads = 2;
  static constexpr std::int64_t head_dim = 128;
  static constexpr double rope_theta = 10000.0;
  static constexpr double rms_norm_eps = 1e-5;
  static constexpr std::int64_t max_context = 32768;
};

using glm4::config_list;
using bench_configs = config_list<glm4::presets::glm4_9b_0414, glm4_1b, glm4::shipped_models::glm4_small>;

constexpr std::string_view usage =
    "usage: glm4-bench -m FILE.gguf [options]\n"
    "  -m, --model FILE     GGUF file (glm4 or chatglm architecture)\n"
    "  -t, --threads N      compute threads, caller included (default: hardware threads)\n"
    "  -p, --n-prompt N     prompt tokens of the pp test (default 512; 0 skips it)\n"
    "  -n, --n-gen N        decode steps of the tg test (default 128; 0 skips it)\n"
    "  -r, --repetitions N  runs of each test (default 3)\n"
    "  -d, --depth N        context tokens prefilled (untimed) before each test, as llama-bench's -d (default 0)\n"
    "  -b, --batch N        prompt tokens per forward pass (default 128)\n"
    "  --context N          KV cache length (default: what the tests need)\n"
    "  --parallel N         sessions decoding together in the tg test (default 1)\n"
    "  --cache-type T       KV cache format: f32 (default), f16 or q8_0 (llama-bench's -ctk/-ctv: f16, q8_0)\n"
    "  --bw-runs N          passes of the bandwidth probe, best counts (default 5)\n";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct options {
  std::filesystem::path model;
  std::size_t threads = glm4::thread_pool::default_threads();
  std::size_t n_prompt = 512;
  std::size_t n_gen = 128;
  std::size_t reps = 3;
  std::size_t depth = 0;
  std::size_t batch = glm4::session_options{}.batch;
  std::int64_t context = 0;
  std::size_t parallel = 1;
  glm4::kv_cache_type cache_type = glm4::kv_cache_type::f32;
  int bw_runs = 5;
};

template <class T>
T parse_number(std::string_view text, std::string_view what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw usage_error(std::string(what) + ": \"" + std::string(text) + "\" is not a valid number");
  return value;
}

// The KV cache formats glm4-bench is built with (each one more instantiation
// of every forward pass): llama-bench's default f16 and its q8_0, and f32.
glm4::kv_cache_type parse_cache_type(std::string_view name) {
  for (const auto t : {glm4::kv_cache_type::f32, glm4::kv_cache_type::f16, glm4::kv_cache_type::q8_0})
    if (glm4::to_string(t) == name) return t;
  throw usage_error("--cache-type must be f32, f16 or q8_0, not \"" + std::string(name) + "\"");
}

// f(KV*) with KV the format of `t`.
template <class F>
int with_cache_format(glm4::kv_cache_type t, F&& f) {
  switch (t) {
    case glm4::kv_cache_type::f16: return f(static_cast<q::f16*>(nullptr));
    case glm4::kv_cache_type::q8_0: return f(static_cast<q::q8_0*>(nullptr));
    default: return f(static_cast<q::f32*>(nullptr));
  }
}

options parse_args(std::span<char* const> args) {
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (i + 1 == args.size()) throw usage_error(std::string(arg) + " needs a value");
    const std::string_view v = args[++i];
    if (arg == "-m" || arg == "--model") o.model = v;
    else if (arg == "-t" || arg == "--threads") o.threads = parse_number<std::size_t>(v, arg);
    else if (arg == "-p" || arg == "--n-prompt") o.n_prompt = parse_number<std::size_t>(v, arg);
    else if (arg == "-n" || arg == "--n-gen") o.n_gen = parse_number<std::size_t>(v, arg);
    else if (arg == "-r" || arg == "--repetitions") o.reps = parse_number<std::size_t>(v, arg);
    else if (arg == "-d" || arg == "--depth") o.depth = parse_number<std::size_t>(v, arg);
    else if (arg == "-b" || arg == "--batch") o.batch = parse_number<std::size_t>(v, arg);
    else if (arg == "--context") o.context = parse_number<std::int64_t>(v, arg);
    else if (arg == "--parallel") o.parallel = parse_number<std::size_t>(v, arg);
    else if (arg == "--bw-runs") o.bw_runs = parse_number<int>(v, arg);
    else if (arg == "--cache-type") o.cache_type = parse_cache_type(v);
    else throw usage_error("unknown option " + std::string(arg));
  }
  if (o.model.empty()) throw usage_error("-m FILE.gguf is missing");
  if (o.threads == 0) throw usage_error("-t must be at least 1");
  if (o.reps == 0) throw usage_error("-r must be at least 1");
  if (o.batch == 0) throw usage_error("-b must be at least 1");
  if (o.parallel == 0 || o.parallel > o.batch) throw usage_error("--parallel must be in 1..the batch (-b)");
  if (o.n_prompt == 0 && o.n_gen == 0) throw usage_error("-p 0 and -n 0 leave nothing to measure");
  return o;
}

// ---- the file: what it holds -------------------------------------------------

struct file_facts {
  glm4::model_shape shape;
  double size_bytes = 0;  // all tensors, as llama-bench's "size"
  double params = 0;      // all tensor elements, as llama-bench's "params"
  std::string type_label;  // Q4_0, Q4_K_M, ... (llama.cpp's name, from general.file_type)
};

// ---- measurement --------------------------------------------------------------

struct stats {
  double mean = 0, stddev = 0;
};
stats summarize(const std::vector<double>& v) {
  stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;  // Linux: KiB
}

constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
constexpr std::size_t sample_every = 8;  // tg steps per bandwidth pass

struct row {
  std::string test;
  stats tps;
};

// llama-bench's units: GiB / B above 1 GiB / 1e9 parameters, MiB / M below.
std::string size_text(double bytes) {
  char b[32];
  if (bytes >= GiB) std::snprintf(b, sizeof b, "%.2f GiB", bytes / GiB);
  else std::snprintf(b, sizeof b, "%.2f MiB", bytes / (1024.0 * 1024.0));
  return b;
}
std::string params_text(double n) {
  char b[32];
  if (n >= 1e9) std::snprintf(b, sizeof b, "%.2f B", n / 1e9);
  else std::snprintf(b, sizeof b, "%.2f M", n / 1e6);
  return b;
}

// Right-aligned in `width` characters; "±" is one character in two bytes.
std::string right(const std::string& s, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return std::string(width > chars ? width - chars : 0, ' ') + s;
}

void print_table(const file_facts& f, std::string_view config, std::size_t threads, const std::vector<row>& rows) {
  const std::string model = std::string(config) + " " + f.type_label;
  std::printf("| %-30s | %10s | %10s | %-7s | %7s | %13s | %20s |\n", "model", "size", "params", "backend", "threads",
              "test", "t/s");
  std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", std::string(30, '-').c_str(), "---------:", "---------:",
              "-------", "------:", "------------:", "-------------------:");
  for (const auto& r : rows) {
    char tps[48];
    std::snprintf(tps, sizeof tps, "%.2f ± %.2f", r.tps.mean, r.tps.stddev);
    std::printf("| %-30s | %10s | %10s | %-7s | %7zu | %13s | %s |\n", model.c_str(), size_text(f.size_bytes).c_str(),
                params_text(f.params).c_str(), "CPU", threads, r.test.c_str(), right(tps, 20).c_str());
  }
}

template <class C, w::weight_scheme S, glm4::kv_format KV>
int run_bench(const options& opt, const glm4::model_file& file, const file_facts& facts, glm4::model<C, S> loaded,
              double load_s, std::string_view file_type) {
  std::optional<glm4::model<C, S>> model(std::move(loaded));
  const std::int64_t needed = static_cast<std::int64_t>(opt.depth + std::max(opt.n_prompt, opt.n_gen + 1));
  const std::int64_t context = opt.context > 0 ? opt.context : needed;
  if (context < needed)
    throw glm4::invalid_argument("--context " + std::to_string(context) + " is below the " + std::to_string(needed) +
                                 " tokens the tests need");
  const auto& weights = model->network().weights();
  const glm4::model_shape model_shape = model->network().shape();
  const double token_bytes = static_cast<double>(weights.matrix_bytes() - weights.embed_tokens.bytes());

  const auto build = glm4::build_info();
  std::fprintf(stderr, "glm4-bench: glm4 %.*s, SIMD target %.*s, integer kernels %.*s\n",
               static_cast<int>(build.version.size()), build.version.data(), static_cast<int>(build.simd_target.size()),
               build.simd_target.data(), static_cast<int>(build.integer_kernels.size()), build.integer_kernels.data());
  std::fprintf(stderr,
               "glm4-bench: %s as %.*s (%s file, %.*s weights), loaded in %.2f s; %zu threads, context %lld, "
               "KV cache %.*s\n",
               opt.model.string().c_str(), static_cast<int>(C::name.size()), C::name.data(), facts.type_label.c_str(),
               static_cast<int>(file_type.size()), file_type.data(), load_s, opt.threads,
               static_cast<long long>(context), static_cast<int>(KV::name.size()), KV::name.data());
  if (facts.shape.max_context != glm4::shape_of<C>().max_context)
    std::fprintf(stderr, "glm4-bench: the file's context_length %lld is not %.*s's %lld; using the latter\n",
                 static_cast<long long>(facts.shape.max_context), static_cast<int>(C::name.size()), C::name.data(),
                 static_cast<long long>(glm4::shape_of<C>().max_context));

  std::vector<row> rows;
  double tg_mean = 0;
  std::vector<double> depth_fill_tps;  // t/s of the measured session's fills to -d
  std::vector<double> bw_during_tg;  // GB/s, passes over token_embd between decode steps
  {
    // The machine's bandwidth of the moment (shared hosts change it every
    // few seconds): a pass over the token embedding, which decode steps
    // read one row of, so it comes from DRAM and leaves the caches as they were.
    const auto embedding = [&] {
      const auto bytes_of = [](const auto& m) {
        return std::span(reinterpret_cast<const std::byte*>(m.data()), m.bytes());
      };
      if constexpr (requires { weights.embed_tokens.visit(bytes_of); })
        return weights.embed_tokens.visit(bytes_of);
      else
        return bytes_of(weights.embed_tokens);
    }();
    const auto sample_bandwidth = [&] {
      if (const double gbs = glm4::bench::read_pass_gbs(embedding.data(), embedding.size(), opt.threads); gbs > 0)
        bw_during_tg.push_back(gbs);
    };
    glm4::bench::read_pass_gbs(embedding.data(), embedding.size(), opt.threads);  // maps its pages in, untimed
    glm4::session<S, KV> run(model->share(), {.context = context, .threads = opt.threads, .batch = opt.batch});
    // --parallel's other sessions (their own threads prefill them; run lends
    // its threads to the steps they take together).
    std::vector<std::unique_ptr<glm4::session<S, KV>>> others;
    for (std::size_t i = 1; i < opt.parallel; ++i)
      others.push_back(std::make_unique<glm4::session<S, KV>>(
          model->share(), glm4::session_options{.context = context, .threads = opt.threads, .batch = opt.batch}));
    std::mt19937 rng(1234);
    std::uniform_int_distribution<std::int32_t> token(0, static_cast<std::int32_t>(facts.shape.vocab_size - 1));
    const auto random_tokens = [&](std::size_t n) {
      std::vector<std::int32_t> ids(n);
      for (auto& id : ids) id = token(rng);
      return ids;
    };

    // Warm-up: one token through every layer faults the mapped weights in.
    run.decode(token(rng));
    // An empty session, or one holding opt.depth random tokens (outside the
    // tests' timing; run's fills are timed for the "depth prefill" line).
    const auto start_at_depth = [&](glm4::session<S, KV>& s) {
      s.reset();
      if (opt.depth == 0) return;
      const auto t0 = std::chrono::steady_clock::now();
      s.prefill(random_tokens(opt.depth));
      if (&s == &run) depth_fill_tps.push_back(static_cast<double>(opt.depth) / seconds_since(t0));
    };
    // One decode step of every session, ids[0] to run and the rest to the others.
    std::vector<typename glm4::session<S, KV>::batch_item> step;
    const auto decode_all = [&](std::span<const std::int32_t> ids) {
      if (others.empty()) {
        run.decode(ids[0]);
        return;
      }
      step.clear();
      step.push_back({run, ids.first(1)});
      for (std::size_t i = 0; i < others.size(); ++i) step.push_back({*others[i], ids.subspan(i + 1, 1)});
      glm4::session<S, KV>::forward_together(step);
    };
    const std::string at_depth = opt.depth > 0 ? " @ d" + std::to_string(opt.depth) : "";

    if (opt.n_prompt > 0) {
      std::vector<double> tps;
      for (std::size_t r = 0; r < opt.reps; ++r) {
        const auto prompt = random_tokens(opt.n_prompt);
        start_at_depth(run);
        const auto t0 = std::chrono::steady_clock::now();
        run.prefill(prompt);
        tps.push_back(static_cast<double>(opt.n_prompt) / seconds_since(t0));
      }
      rows.push_back({"pp" + std::to_string(opt.n_prompt) + at_depth, summarize(tps)});
    }
    if (opt.n_gen > 0) {
      const std::size_t P = opt.parallel;
      std::vector<double> tps;
      for (std::size_t r = 0; r < opt.reps; ++r) {
        const auto ids = random_tokens((opt.n_gen + 1) * P);
        start_at_depth(run);
        for (auto& other : others) start_at_depth(*other);
        const auto step_ids = [&](std::size_t j) { return std::span(ids).subspan(j * P, P); };
        decode_all(step_ids(0));
        // timed in segments of sample_every steps, a bandwidth pass (untimed) around each
        double seconds = 0;
        sample_bandwidth();
        for (std::size_t i = 1; i <= opt.n_gen; i += sample_every) {
          const auto t0 = std::chrono::steady_clock::now();
          for (std::size_t j = i; j < std::min(i + sample_every, opt.n_gen + 1); ++j) decode_all(step_ids(j));
          seconds += seconds_since(t0);
          sample_bandwidth();
        }
        tps.push_back(static_cast<double>(opt.n_gen * P) / seconds);
      }
      const std::string streams = P > 1 ? " x" + std::to_string(P) : "";
      rows.push_back({"tg" + std::to_string(opt.n_gen) + streams + at_depth, summarize(tps)});
      tg_mean = rows.back().tps.mean / static_cast<double>(P);  // steps per second
    }
  }
  const double rss = peak_rss_bytes();  // before the probe's buffer
  const auto pages = file.gguf()->mapping()->residency();
  model.reset();

  print_table(facts, C::name, opt.threads, rows);
  std::fflush(stdout);

  const double bw = glm4::bench::read_bandwidth_gbs(opt.threads, {.runs = opt.bw_runs}) * 1e9;
  std::printf("\n");
  std::printf("memory read bandwidth   %8.2f GB/s   (1 GiB buffer, %zu threads, best of %d)\n", bw / 1e9,
              opt.threads, opt.bw_runs);
  std::printf("weights read per token  %8.3f GB     (%.3f GiB: every matrix but token_embd, %s)\n", token_bytes / 1e9,
              token_bytes / GiB, facts.type_label.c_str());
  if (opt.depth > 0)
    if (const auto cache = glm4::kv_cache<KV>::bytes_for(model_shape, static_cast<std::int64_t>(opt.depth)))
      std::printf("kv cache read per token %8.3f GB     (keys and values of the %zu positions of -d, %.*s)\n",
                  static_cast<double>(*cache) / 1e9, opt.depth, static_cast<int>(KV::name.size()), KV::name.data());
  if (!depth_fill_tps.empty())
    std::printf("depth prefill           %8.2f t/s    (the %zu tokens of -d from an empty cache, mean of %zu; "
                "llama-batched-bench's S_PP)\n",
                summarize(depth_fill_tps).mean, opt.depth, depth_fill_tps.size());
  const double roofline = bw / token_bytes;
  std::printf("tg roofline             %8.2f t/s    (bandwidth / weight bytes per token)\n", roofline);
  if (opt.n_gen > 0) {
    const std::string label = "tg" + std::to_string(opt.n_gen) + " / roofline";
    std::printf("%-23s %8.1f %%      (%.2f %s measured)\n", label.c_str(), 100.0 * tg_mean / roofline, tg_mean,
                opt.parallel > 1 ? "steps/s, each of --parallel tokens," : "t/s");
  }
  if (!bw_during_tg.empty()) {
    const stats during = summarize(bw_during_tg);
    const auto [lo, hi] = std::minmax_element(bw_during_tg.begin(), bw_during_tg.end());
    std::printf("bandwidth during tg     %8.2f GB/s   (mean of %zu passes over token_embd every %zu steps, %.1f-%.1f)\n",
                during.mean, bw_during_tg.size(), sample_every, *lo, *hi);
    const std::string label = "tg" + std::to_string(opt.n_gen) + " / that";
    std::printf("%-23s %8.1f %%      (%.2f GB/s of weights: tg t/s x weight bytes per token)\n", label.c_str(),
                100.0 * tg_mean * token_bytes / (during.mean * 1e9), tg_mean * token_bytes / 1e9);
  }
  std::printf("peak RSS                %8.3f GiB    (model mapping + session, before the probe)\n", rss / GiB);
  if (pages && pages->resident > 0) {
    const double share = static_cast<double>(pages->huge) / static_cast<double>(pages->resident);
    std::printf("file in 2 MiB pages     %8.1f %%      (%.3f of %.3f GiB resident)\n", 100.0 * share,
                static_cast<double>(pages->huge) / GiB, static_cast<double>(pages->resident) / GiB);
    // Small page-cache folios stay until the file is evicted (see
    // io/mapped_file.hpp); read in again, it usually gets 2 MiB ones.
    if (share < 0.9)
      std::fprintf(stderr,
                   "glm4-bench: only %.0f %% of the file is mapped with 2 MiB pages, so tg is slower than it can be; "
                   "drop the file from the page cache (dd if=%s iflag=nocache count=0) and run again\n",
                   100.0 * share, opt.model.string().c_str());
  }
  return 0;
}

// The file's shape picks the configuration (a context_length other than the
// compiled one still runs: the benchmark's context is far below either), and
// the library's ready list the file type that holds the file in place.
template <class... Cs>
int dispatch(const options& opt, config_list<Cs...>) {
  const auto load_start = std::chrono::steady_clock::now();
  const auto file = glm4::model_file::open(opt.model);
  if (!file.is_gguf()) throw glm4::invalid_argument(opt.model.string() + " is not a GGUF file");
  file_facts facts;
  facts.shape = file.shape();
  facts.type_label = file.llama_file_type();
  for (const auto& t : file.gguf()->tensors()) {
    facts.size_bytes += static_cast<double>(t.bytes.size());
    facts.params += static_cast<double>(t.elements());
  }
  const auto shape_for = [&]<class C>() {
    glm4::model_shape found = file.shape_against(glm4::shape_of<C>());
    found.max_context = glm4::shape_of<C>().max_context;
    return found;
  };
  int rc = 2;
  const auto try_config = [&]<class C>() {
    const glm4::model_shape found = shape_for.template operator()<C>();
    if (!glm4::io::shape_differences(glm4::shape_of<C>(), found).empty()) return false;
    if (facts.shape.max_context != glm4::shape_of<C>().max_context)
      std::fprintf(stderr, "glm4-bench: the file's context_length %lld is not %.*s's %lld; using the latter\n",
                   static_cast<long long>(facts.shape.max_context), static_cast<int>(C::name.size()), C::name.data(),
                   static_cast<long long>(glm4::shape_of<C>().max_context));
    glm4::open_as<C>(file, found, [&]<class C2, w::weight_scheme S>(const glm4::model<C2, S>& m) {
      rc = with_cache_format(opt.cache_type, [&]<class KV>(KV*) {
        return run_bench<C2, S, KV>(opt, file, facts, m, seconds_since(load_start),
                                    glm4::file_types::name_of<S>(glm4::file_types::all{}));
      });
    });
    return true;
  };
  if ((try_config.template operator()<Cs>() || ...)) return rc;
  std::fprintf(stderr, "glm4-bench: %s matches no compiled configuration:\n", opt.model.string().c_str());
  const auto explain = [&]<class C>() {
    const auto diffs = glm4::io::shape_differences(glm4::shape_of<C>(), shape_for.template operator()<C>());
    std::fprintf(stderr, "  %.*s:", static_cast<int>(C::name.size()), C::name.data());
    for (std::size_t i = 0; i < diffs.size() && i < 3; ++i) std::fprintf(stderr, "%s%s", i ? "; " : " ", diffs[i].c_str());
    if (diffs.size() > 3) std::fprintf(stderr, " (+%zu more)", diffs.size() - 3);
    std::fprintf(stderr, "\n");
  };
  (explain.template operator()<Cs>(), ...);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::span<char* const> args(argv + 1, static_cast<std::size_t>(argc - 1));
  for (const std::string_view a : args)
    if (a == "-h" || a == "--help") {
      std::cout << usage;
      return 0;
    }
  options opt;
  try {
    opt = parse_args(args);
  } catch (const usage_error& e) {
    std::cerr << "glm4-bench: " << e.what() << "\n\n" << usage;
    return 2;
  }
  try {
    return dispatch(opt, bench_configs{});
  } catch (const std::exception& e) {
    std::cerr << "glm4-bench: " << e.what() << '\n';
    return 1;
  }
}
