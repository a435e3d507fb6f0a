// The torch.save reader. Checkpoints from tests/tools/torch_save.py (which
// writes what torch.save writes, byte for byte: `torch_save.py --check
// tests/data/torch`) and from torch itself (tests/data/torch/candle) are
// read back tensor by tensor and entry by entry; the unpickler is run over
// Python's own pickles of every protocol; and every kind of broken or
// hostile file ends in a format_error that names the file and the problem,
// never a crash, an over-read or an allocation the file merely asked for.
//
// The fixtures are committed (24 KB), so the test needs no Python; after
// changing the writer, regenerate them with `torch_save.py --demo` (see
// tests/data/torch/README.md) and check them with `--check`.
#define BOOST_TEST_MODULE io_torch_checkpoint
#include "glm4/io/torch_checkpoint.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "glm4/io/pickle.hpp"
#include "glm4/io/zip_archive.hpp"
#include "glm4/quant/bf16.hpp"
#include "glm4/quant/f16.hpp"

using namespace std::string_literals;
namespace fs = std::filesystem;
namespace pickle = glm4::io::pickle;
using glm4::format_error;
using glm4::io::torch_checkpoint;
using glm4::io::torch_scalar;
using glm4::io::torch_tensor;

namespace {

const fs::path data_dir = fs::path(GLM4_TEST_DATA_DIR) / "torch";

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("glm4_torch_checkpoint_" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};
const temp_dir tmp;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path write(const std::string& bytes, const std::string& name = "test.pt") {
  const fs::path p = tmp.path / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p;
}

// Opening `bytes` as a checkpoint throws a format_error whose message names
// the file and contains `what`.
void expect_error(const std::string& bytes, const std::string& what) {
  const fs::path p = write(bytes);
  try {
    torch_checkpoint cp(p);
    BOOST_ERROR("no error; expected one containing \"" << what << "\"");
  } catch (const format_error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(p.string()) != std::string::npos, "message does not name the file: " << msg);
    BOOST_TEST(msg.find(what) != std::string::npos, "message \"" << msg << "\" lacks \"" << what << "\"");
  }
}

// --- expected contents: torch_save.py demo_values(), recomputed -----------

double demo_float(int i, int seed) { return ((i * 7 + seed) % 32 - 16) * 0.125; }
std::int64_t demo_int(int i, int seed, std::int64_t lo, std::int64_t hi) {
  const std::int64_t v = (i * 37 + seed) % 251 - (lo == 0 ? 0 : 125);
  return std::max(lo, std::min(hi, v));
}

template <class T>
T element(const torch_tensor& t, std::int64_t i) {
  T v;
  std::memcpy(&v, t.bytes.data() + i * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
  return v;
}

// Element i of a floating-point tensor, as a double.
double float_at(const torch_tensor& t, std::int64_t i) {
  if (t.dtype == "F16") return glm4::quant::f16::to_float({element<std::uint16_t>(t, i)});
  if (t.dtype == "BF16") return glm4::quant::bf16::to_float({element<std::uint16_t>(t, i)});
  if (t.dtype == "F32") return element<float>(t, i);
  if (t.dtype == "F64") return element<double>(t, i);
  BOOST_FAIL("not a floating-point dtype: " << t.dtype);
  return 0;
}

void expect_floats(const torch_checkpoint& cp, const std::string& name, const std::string& dtype,
                   const std::vector<std::int64_t>& shape, int seed, int first = 0) {
  const torch_tensor* t = cp.find(name);
  BOOST_TEST_REQUIRE(t != nullptr, "no tensor " << name);
  BOOST_TEST(t->dtype == dtype, name);
  BOOST_TEST(t->shape == shape, name);
  std::size_t element_size = dtype == "F64" ? 8 : dtype == "F32" ? 4 : 2;
  BOOST_TEST_REQUIRE(t->bytes.size() == static_cast<std::size_t>(t->elements()) * element_size, name);
  int wrong = 0;
  for (std::int64_t i = 0; i < t->elements(); ++i)
    wrong += float_at(*t, i) != demo_float(static_cast<int>(i) + first, seed);
  BOOST_TEST(wrong == 0, name << ": " << wrong << " elements differ from what the writer wrote");
}

template <class T>
T scalar(const torch_checkpoint& cp, const std::string& name) {
  const auto it = cp.scalars().find(name);
  BOOST_TEST_REQUIRE((it != cp.scalars().end()), "no scalar " << name);
  BOOST_TEST_REQUIRE(std::holds_alternative<T>(it->second), name << " has another type");
  return std::get<T>(it->second);
}

// The demo object of torch_save.py, in whichever layout it was written.
void expect_demo(const fs::path& file) {
  BOOST_TEST_CONTEXT(file.filename().string()) {
    const torch_checkpoint cp(file);
    BOOST_TEST(cp.archive_name() == file.stem().string());
    BOOST_TEST(cp.tensors().size() == 17u);

    const std::string layer = "module.transformer.layers.0.";
    expect_floats(cp, "module.transformer.word_embeddings.weight", "F16", {6, 4}, 1);
    expect_floats(cp, layer + "input_layernorm.weight", "F32", {4}, 2);
    expect_floats(cp, layer + "attention.query_key_value.weight", "BF16", {12, 4}, 3);
    expect_floats(cp, layer + "attention.query_key_value.bias", "BF16", {12}, 4);
    const torch_tensor& w = cp.at(layer + "mlp.dense_h_to_4h.weight");
    BOOST_TEST(w.dtype == "I8");
    BOOST_TEST((w.shape == std::vector<std::int64_t>{8, 4}));
    int wrong = 0;
    for (int i = 0; i < 32; ++i) wrong += element<std::int8_t>(w, i) != demo_int(i, 5, -128, 127);
    BOOST_TEST(wrong == 0);

    // Three views of one storage, in place: [0, 4), [4, 10) and element 9.
    expect_floats(cp, "views.first", "F32", {2, 2}, 6, 0);
    expect_floats(cp, "views.rest", "F32", {2, 3}, 6, 4);
    expect_floats(cp, "views.scalar", "F32", {}, 6, 9);
    BOOST_TEST(cp.at("views.rest").bytes.data() == cp.at("views.first").bytes.data() + 16);
    BOOST_TEST(cp.at("views.scalar").bytes.data() == cp.at("views.first").bytes.data() + 36);

    expect_floats(cp, "param", "F16", {2, 2}, 8);  // an nn.Parameter
    BOOST_TEST(float_at(cp.at("list.0"), 0) == 1.5);
    expect_floats(cp, "every_dtype.F64", "F64", {3}, 7);
    const auto& u8 = cp.at("every_dtype.U8");
    const auto& i16 = cp.at("every_dtype.I16");
    const auto& i32 = cp.at("every_dtype.I32");
    const auto& i64 = cp.at("every_dtype.I64");
    const auto& b = cp.at("every_dtype.BOOL");
    for (int i = 0; i < 3; ++i) {
      BOOST_TEST(element<std::uint8_t>(u8, i) == demo_int(i, 7, 0, 255));
      BOOST_TEST(element<std::int16_t>(i16, i) == demo_int(i, 7, -32768, 32767));
      BOOST_TEST(element<std::int32_t>(i32, i) == demo_int(i, 7, INT32_MIN, INT32_MAX));
      BOOST_TEST(element<std::int64_t>(i64, i) == demo_int(i, 7, INT64_MIN, INT64_MAX));
      BOOST_TEST(element<std::uint8_t>(b, i) == ((i + 7) % 3 == 0 ? 1 : 0));
    }
    BOOST_TEST(u8.dtype == "U8");
    BOOST_TEST(b.dtype == "BOOL");
    const auto& empty = cp.at("empty");
    BOOST_TEST((empty.shape == std::vector<std::int64_t>{0, 4}));
    BOOST_TEST(empty.bytes.empty());

    // torch aligns every record to 64 bytes, so tensors at offset 0 are.
    const auto base = cp.mapping()->bytes().data();
    for (const auto& [name, t] : cp.tensors()) {
      BOOST_TEST((t.bytes.data() >= base && t.bytes.data() + t.bytes.size() <= base + cp.mapping()->size()), name);
      if (name.starts_with("module.")) BOOST_TEST((t.bytes.data() - base) % 64 == 0, name);
    }

    // The entries around the state dict: ints, floats, strings, and the
    // attributes of an argparse.Namespace; not the state dict's _metadata.
    BOOST_TEST(scalar<std::int64_t>(cp, "iteration") == 5000);
    BOOST_TEST(scalar<std::int64_t>(cp, "mp_world_size") == 8);
    BOOST_TEST(scalar<double>(cp, "checkpoint_version") == 3.0);
    BOOST_TEST(scalar<std::string>(cp, "note") == "glm4.hpp torch.save fixture");
    BOOST_TEST(scalar<std::int64_t>(cp, "args.num_layers") == 70);
    BOOST_TEST(scalar<std::int64_t>(cp, "args.fp16") == 1);
    BOOST_TEST(scalar<std::string>(cp, "args.mode") == "inference");
    BOOST_TEST(scalar<std::string>(cp, "lr_scheduler.decay_style") == "cosine");
    BOOST_TEST(scalar<std::int64_t>(cp, "list.2.0") == 2);
    BOOST_TEST(scalar<std::string>(cp, "list.2.1") == "two");
    BOOST_TEST(!cp.scalars().contains("huge"));  // 2**70 does not fit
    for (const auto& [name, _] : cp.scalars()) BOOST_TEST(name.find("_metadata") == std::string::npos, name);
  }
}

// --- hand-made archives and pickles, wrong in every way -------------------

struct bytes_out {
  std::string b;
  bytes_out& u8(std::uint8_t v) { return put(v, 1); }
  bytes_out& u16(std::uint16_t v) { return put(v, 2); }
  bytes_out& u32(std::uint32_t v) { return put(v, 4); }
  bytes_out& u64(std::uint64_t v) { return put(v, 8); }
  bytes_out& raw(std::string_view s) {
    b += s;
    return *this;
  }

 private:
  bytes_out& put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b += static_cast<char>(v >> (8 * i));
    return *this;
  }
};

struct zip_record {
  std::string name, data;
  std::uint16_t method = 0;
};

// A plain zip (no ZIP64, no descriptors) of stored records.
std::string make_zip(const std::vector<zip_record>& records) {
  bytes_out out, central;
  for (const auto& r : records) {
    const auto offset = static_cast<std::uint32_t>(out.b.size());
    const auto size = static_cast<std::uint32_t>(r.data.size());
    const auto name_len = static_cast<std::uint16_t>(r.name.size());
    out.u32(0x04034b50).u16(20).u16(0).u16(r.method).u32(0).u32(0).u32(size).u32(size).u16(name_len).u16(0);
    out.raw(r.name).raw(r.data);
    central.u32(0x02014b50).u16(20).u16(20).u16(0).u16(r.method).u32(0).u32(0).u32(size).u32(size);
    central.u16(name_len).u16(0).u16(0).u16(0).u16(0).u32(0).u32(offset).raw(r.name);
  }
  const auto count = static_cast<std::uint16_t>(records.size());
  const auto cd_offset = static_cast<std::uint32_t>(out.b.size());
  out.raw(central.b);
  out.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(static_cast<std::uint32_t>(central.b.size()));
  out.u32(cd_offset).u16(0);
  return out.b;
}

// Pickle opcodes as torch.save writes them (protocol 2; PROTO is the caller's).
struct pickler {
  std::string b;
  pickler& op(char c) {
    b += c;
    return *this;
  }
  pickler& str(std::string_view s) {
    b += 'X';
    for (int i = 0; i < 4; ++i) b += static_cast<char>(s.size() >> (8 * i));
    b += s;
    return *this;
  }
  pickler& integer(std::int64_t v) {  // LONG1 of 8 bytes: any int64
    b += "\x8a\x08";
    for (int i = 0; i < 8; ++i) b += static_cast<char>(static_cast<std::uint64_t>(v) >> (8 * i));
    return *this;
  }
  pickler& global(std::string_view module, std::string_view name) {
    b += 'c';
    b += module;
    b += '\n';
    b += name;
    b += '\n';
    return *this;
  }
  pickler& ints(const std::vector<std::int64_t>& v) {
    op('(');
    for (auto x : v) integer(x);
    return op('t');
  }
  // _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset,
  // size, stride, False, OrderedDict())
  pickler& tensor(std::string_view type, std::string_view key, std::int64_t numel, std::int64_t offset,
                  const std::vector<std::int64_t>& size, const std::vector<std::int64_t>& stride,
                  std::string_view function = "_rebuild_tensor_v2") {
    global("torch._utils", function).op('(');
    op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t').op('Q');
    integer(offset).ints(size).ints(stride).op('\x89');
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
};

// A checkpoint of one tensor 'w' from `tensor` (the pickler's calls) and
// storage data/0 holding `storage` bytes.
std::string one_tensor(const pickler& tensor, const std::string& storage, std::vector<zip_record> extra = {}) {
  pickler p;
  p.b = "\x80\x02";
  p.op('}').str("w");
  p.b += tensor.b;
  p.op('s').op('.');
  extra.insert(extra.begin(), {{"archive/data.pkl", p.b}, {"archive/data/0", storage}});
  return make_zip(extra);
}

pickler f32_tensor(std::int64_t numel, std::int64_t offset, std::vector<std::int64_t> size,
                   std::vector<std::int64_t> stride) {
  pickler t;
  t.tensor("FloatStorage", "0", numel, offset, size, stride);
  return t;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::uint64_t read_le(const std::string& s, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}
void write_le(std::string& s, std::size_t at, int n, std::uint64_t v) {
  for (int i = 0; i < n; ++i) s[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
}

}  // namespace

// --- the writer's checkpoints and torch's --------------------------------

BOOST_AUTO_TEST_CASE(reads_the_writers_checkpoint_in_every_layout) {
  expect_demo(data_dir / "sat-demo.pt");         // torch >= 2.1: byteorder, serialization id
  expect_demo(data_dir / "sat-demo-torch1.pt");  // torch 1.6 - 2.0, as GLM-130B was saved
  expect_demo(data_dir / "sat-demo-zip64.pt");   // every size and offset in ZIP64 fields
}

BOOST_AUTO_TEST_CASE(reads_the_zip_records_as_torch_laid_them_out) {
  const glm4::io::zip_archive zip(data_dir / "sat-demo-zip64.pt");
  BOOST_TEST(zip.entries().size() == 19u);
  for (const auto& e : zip.entries()) {
    BOOST_TEST(e.stored(), e.name);
    BOOST_TEST(e.data_offset % 64 == 0, e.name << " data is not 64-byte aligned");
  }
  const auto version = zip.bytes("sat-demo-zip64/version");
  BOOST_TEST(std::string(reinterpret_cast<const char*>(version.data()), version.size()) == "3\n");
  BOOST_TEST(zip.find("sat-demo-zip64/byteorder") != nullptr);
  BOOST_TEST(zip.find("no such entry") == nullptr);
}

// huggingface/candle's candle-core/tests/*.pt, written by torch 2.x.
BOOST_AUTO_TEST_CASE(reads_checkpoints_torch_wrote) {
  for (const auto& [file, name] : {std::pair{"test.pt", "test"}, {"test_with_key.pt", "model_state_dict.test"}}) {
    const torch_checkpoint cp(data_dir / "candle" / file);
    BOOST_TEST(cp.tensors().size() == 1u);
    const torch_tensor& t = cp.at(name);
    BOOST_TEST(t.dtype == "I64");
    BOOST_TEST((t.shape == std::vector<std::int64_t>{2, 4}));
    for (int i = 0; i < 8; ++i) BOOST_TEST(element<std::int64_t>(t, i) == i + 1);
  }
  // np.asfortranarray(...) saved as is: column-major strides.
  try {
    torch_checkpoint cp(data_dir / "candle" / "fortran_tensor_3d.pth");
    BOOST_ERROR("read a column-major tensor");
  } catch (const format_error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("'tensor_fortran'") != std::string::npos, msg);
    BOOST_TEST(msg.find("not contiguous (shape [2, 3, 4], stride [1, 2, 6]); re-save it with .contiguous()") !=
                   std::string::npos,
               msg);
  }
}

// chengchingwen/Pickle.jl's test/torch/test_bin/bool.bin, from torch < 1.6.
BOOST_AUTO_TEST_CASE(refuses_the_legacy_format_with_advice) {
  expect_error(read_all(data_dir / "pickle-jl" / "legacy-bool.bin"), "legacy format");
  expect_error(read_all(data_dir / "pickle-jl" / "legacy-bool.bin"), "re-save it with torch >= 1.6");
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_a_checkpoint) {
  expect_error("", "not a PyTorch checkpoint");
  expect_error("hello, world", "not a PyTorch checkpoint");
  expect_error("\x80\x02N.", "a bare pickle");
  expect_error("PYTORCH1 and more", "1.4-preview");
  expect_error(make_zip({}), "empty zip archive");
  expect_error(make_zip({{"archive/other", "x"}}), "without a <folder>/data.pkl record");
  expect_error(make_zip({{"a/data.pkl", "\x80\x02N."}, {"b/data.pkl", "\x80\x02N."}}), "two pickles");
  expect_error(make_zip({{"a/data.pkl", "\x80\x02N."}, {"a/constants.pkl", "\x80\x02N."}}), "TorchScript");
  expect_error(make_zip({{"a/data.pkl", "\x80\x02N."}, {"a/byteorder", "big"}}), "big-endian");
  expect_error(make_zip({{"a/data.pkl", "\x80\x02N."}, {"a/byteorder", "middle"}}), "byteorder record is 'middle'");
  // The smallest checkpoint there is: torch.save(None).
  const torch_checkpoint none(write(make_zip({{"a/data.pkl", "\x80\x02N."}, {"a/byteorder", "little"}})));
  BOOST_TEST(none.tensors().empty());
}

// --- hostile files --------------------------------------------------------

// The copies below are made in place, by shortening one file or patching
// one byte of it: truncating and rewriting thousands of files takes minutes
// on some filesystems (ext4 mounted with discard).
BOOST_AUTO_TEST_CASE(every_truncation_is_a_format_error) {
  for (const char* file : {"sat-demo-zip64.pt", "sat-demo-torch1.pt"}) {
    const std::string full = read_all(data_dir / file);
    const fs::path p = write(full, "truncated.pt");
    int unexplained = 0;
    for (std::size_t n = full.size(); n-- > 0;) {
      fs::resize_file(p, n);
      try {
        torch_checkpoint cp(p);
        ++unexplained;
      } catch (const format_error&) {
      }
    }
    BOOST_TEST(unexplained == 0, file << ": " << unexplained << " truncated copies opened without an error");
  }
}

// A poor man's fuzzer: every byte of a checkpoint changed three ways must
// open or throw a glm4 error, nothing else (run under ASan: nothing worse).
BOOST_AUTO_TEST_CASE(corrupted_bytes_never_crash) {
  const std::string full = read_all(data_dir / "sat-demo-zip64.pt");
  const fs::path p = write(full, "corrupted.pt");
  const auto patch = [&](std::size_t at, char c) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(c);
  };
  int opened = 0, refused = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (const unsigned char change : {0xffu, 0x01u, 0x80u}) {
      patch(i, static_cast<char>(static_cast<unsigned char>(full[i]) ^ change));
      try {
        torch_checkpoint cp(p);
        const auto mapped = cp.mapping()->bytes();
        for (const auto& [name, t] : cp.tensors())
          BOOST_REQUIRE(t.bytes.data() >= mapped.data() &&
                        t.bytes.data() + t.bytes.size() <= mapped.data() + mapped.size());
        ++opened;
      } catch (const glm4::error&) {
        ++refused;
      } catch (const std::exception& e) {
        BOOST_ERROR("byte " << i << " ^ " << int(change) << ": " << e.what() << " is not a glm4 error");
      }
    }
    patch(i, full[i]);
  }
  BOOST_TEST_MESSAGE(opened << " corrupted copies opened (tensor data changed), " << refused << " refused");
  BOOST_TEST(refused > 0);
}

BOOST_AUTO_TEST_CASE(a_central_directory_pointing_outside_is_refused) {
  const std::string good = read_all(data_dir / "sat-demo-zip64.pt");
  // The ZIP64 end record is 56 + 20 + 22 bytes from the end; its directory
  // offset is the last field.
  const std::size_t zip64_end = good.size() - 22 - 20 - 56;
  std::string bad = good;
  write_le(bad, zip64_end + 48, 8, good.size() * 2);
  expect_error(bad, "the central directory [");
  bad = good;
  write_le(bad, zip64_end + 40, 8, ~std::uint64_t{0} - 5);  // size that overflows offset + size
  expect_error(bad, "lies outside");
  bad = good;
  write_le(bad, zip64_end + 32, 8, std::uint64_t{1} << 60);  // more entries than can fit
  write_le(bad, zip64_end + 24, 8, std::uint64_t{1} << 60);
  expect_error(bad, "more than its");
  bad = good;
  write_le(bad, good.size() - 22 - 20 + 8, 8, good.size());  // the locator points past itself
  expect_error(bad, "ZIP64 locator points at offset");

  // An entry's local header (its ZIP64 offset: the last 8 bytes of its
  // central entry here) beyond the data, or its data running into the directory.
  const std::size_t directory = read_le(good, zip64_end + 48, 8);
  const std::size_t name_len = read_le(good, directory + 28, 2), extra_len = read_le(good, directory + 30, 2);
  const std::size_t offset_field = directory + 46 + name_len + extra_len - 8;
  bad = good;
  write_le(bad, offset_field, 8, good.size() + 100);
  expect_error(bad, "its local header at offset");
  bad = good;
  write_le(bad, offset_field - 16, 8, good.size());  // the size, stored and compressed
  write_le(bad, offset_field - 8, 8, good.size());
  expect_error(bad, "runs past the start of the central directory");
}

BOOST_AUTO_TEST_CASE(a_compressed_record_is_refused_by_name) {
  std::string bad = read_all(data_dir / "sat-demo.pt");
  const std::size_t directory = bad.find("PK\x01\x02");  // data.pkl's entry comes first
  BOOST_TEST_REQUIRE(directory != std::string::npos);
  write_le(bad, directory + 10, 2, 8);
  write_le(bad, directory + 20, 4, 10);  // compressed size now differs, as deflate's would
  expect_error(bad, "entry 'sat-demo/data.pkl' is compressed (method 8, deflate)");
}

BOOST_AUTO_TEST_CASE(unknown_and_unsupported_opcodes_are_named) {
  const auto archive = [](std::string pickle) { return make_zip({{"a/data.pkl", std::move(pickle)}}); };
  expect_error(archive("\x80\x02\xff."), "pickle offset 2: unknown opcode 0xff");
  expect_error(archive("\x80\x02(i__main__\nX\n."), "pickle offset 3: opcode INST (0x69) is not supported");
  expect_error(archive("\x80\x02\x82\x01."), "opcode EXT1 (0x82) is not supported");
  expect_error(archive("\x80\x09N."), "PROTO: protocol 9 is newer than this reader");
  expect_error(archive("\x80\x02N"), "the pickle ends without STOP");
  expect_error(archive("\x80\x02X\xff\xff\xff\x7f"), "BINUNICODE: needs 2147483647 bytes of argument");
  expect_error(archive("\x80\x02h\x05."), "BINGET: memo entry 5 was never stored");
  expect_error(archive("\x80\x02R."), "REDUCE: needs 2 values on the stack, there are 0");
  expect_error(archive("\x80\x02N(NR."), "REDUCE: needs 2 values on the stack, there are 1");  // not below a MARK
  expect_error(archive("\x80\x02]Nu."), "SETITEMS: no MARK");
  expect_error(archive("\x80\x02N(NNu."), "SETITEMS: applies to a dict, not to None");
  expect_error(archive("\x80\x02(Nu."), "SETITEMS: an odd number of keys and values");
  expect_error(archive("\x80\x02\x8b\x00\x00\x00\x80."s), "LONG4: negative length");
  expect_error(archive("\x80\x02\x8c\x01"
                       "a\x8c\x01"
                       "b\x93\x8c\x01"
                       "c(\x93."),
               "STACK_GLOBAL: needs 2 values");
  expect_error(archive("\x80\x02K\x01K\x02\x93."), "STACK_GLOBAL: module and name are int 1 and int 2");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_not_recursed) {
  // {'a': {'a': ... 100000 levels ... None}}: the unpickler is a loop; the
  // walk over its result stops at 64 levels.
  std::string p = "\x80\x02";
  for (int i = 0; i < 100000; ++i)
    p += "}X\x01\x00\x00\x00"
         "a"s;
  p += 'N';
  for (int i = 0; i < 100000; ++i) p += 's';
  p += '.';
  expect_error(make_zip({{"a/data.pkl", p}}), "is nested more than 64 levels deep");
  // A list that holds itself, likewise.
  expect_error(make_zip({{"a/data.pkl",
                          "\x80\x02]q\x00h\x00"
                          "a."s}}),
               "nested more than 64 levels deep");
}

BOOST_AUTO_TEST_CASE(shared_references_cost_nothing_until_enumerated) {
  // L = []; then 60 times L = [L, L]: 2^60 paths to the first list, 61 values.
  std::string p = "\x80\x02]q\x00"s;
  for (int i = 0; i < 60; ++i) p += "(h\x00h\x00lq\x00"s;
  p += '.';
  const auto graph = pickle::unpickle(as_bytes(p), "test");
  BOOST_TEST(graph.size() == 61u);
  BOOST_TEST(graph.root().items.size() == 2u);
  BOOST_TEST(graph.root().items[0] == graph.root().items[1]);
  // Naming every tensor reached along every path would never end: refused.
  std::string q = "\x80\x02]q\x00"s;
  for (int i = 0; i < 30; ++i) q += "(h\x00h\x00lq\x00"s;
  q += '.';
  expect_error(make_zip({{"a/data.pkl", q}}), "paths (containers shared many times over)");
}

BOOST_AUTO_TEST_CASE(the_unpicklers_limits_hold) {
  const std::string dups = "\x80\x02N" + std::string(100, '2') + ".";
  pickle::limits small;
  small.max_stack = 50;
  BOOST_CHECK_EXCEPTION(pickle::unpickle(as_bytes(dups), "dups", small), format_error, [](const format_error& e) {
    return std::string(e.what()).find("the stack grows past 50 entries") != std::string::npos;
  });
  const std::string marks = "\x80\x02" + std::string(100, '(') + "N.";
  BOOST_CHECK_EXCEPTION(pickle::unpickle(as_bytes(marks), "marks", small), format_error, [](const format_error& e) {
    return std::string(e.what()).find("more than 50 nested MARKs") != std::string::npos;
  });
  std::string nones = "\x80\x02";
  for (int i = 0; i < 40; ++i) nones += "N0";
  nones += "N.";
  pickle::limits few;
  few.max_values = 30;
  BOOST_CHECK_EXCEPTION(pickle::unpickle(as_bytes(nones), "nones", few), format_error, [](const format_error& e) {
    return std::string(e.what()).find("makes more than 30 values") != std::string::npos;
  });
  std::string puts = "\x80\x02N";
  for (int i = 0; i < 40; ++i) puts += "r" + std::string{static_cast<char>(i), 0, 0, 0};
  puts += ".";
  pickle::limits memo;
  memo.max_memo = 30;
  BOOST_CHECK_EXCEPTION(pickle::unpickle(as_bytes(puts), "puts", memo), format_error, [](const format_error& e) {
    return std::string(e.what()).find("the memo grows past 30 entries") != std::string::npos;
  });
  // Memo indices are keys, not positions: index 2^32-1 allocates nothing.
  const auto g = pickle::unpickle(as_bytes(std::string("\x80\x02Nr\xff\xff\xff\xffj\xff\xff\xff\xff.", 15)), "far");
  BOOST_TEST(g.size() == 1u);
}

BOOST_AUTO_TEST_CASE(tensor_records_are_checked_against_the_pickle) {
  const std::string six_floats(24, '\0');
  // The happy case first, so the failures below are the changes' doing.
  const torch_checkpoint ok(write(one_tensor(f32_tensor(6, 0, {2, 3}, {3, 1}), six_floats)));
  BOOST_TEST((ok.at("w").shape == std::vector<std::int64_t>{2, 3}));

  pickler missing;
  missing.tensor("FloatStorage", "7", 6, 0, {2, 3}, {3, 1});
  expect_error(one_tensor(missing, six_floats),
               "tensor 'w': its storage record 'archive/data/7' is not in the archive");
  expect_error(one_tensor(f32_tensor(7, 0, {2, 3}, {3, 1}), six_floats),
               "its storage 'archive/data/0' holds 24 bytes, the pickle says 7 elements of 4 bytes");
  expect_error(one_tensor(f32_tensor(std::int64_t{1} << 62, 0, {2, 3}, {3, 1}), six_floats), "holds 24 bytes");
  expect_error(one_tensor(f32_tensor(6, 1, {2, 3}, {3, 1}), six_floats),
               "elements [1, +6) lie outside its storage of 6");
  expect_error(one_tensor(f32_tensor(6, INT64_MAX, {1}, {1}), six_floats), "lie outside its storage");
  expect_error(one_tensor(f32_tensor(6, 0, {std::int64_t{1} << 62, std::int64_t{1} << 62}, {1, 1}), six_floats),
               "its shape overflows 64 bits");
  expect_error(one_tensor(f32_tensor(6, 0, {2, 3}, {1, 2}), six_floats),
               "not contiguous (shape [2, 3], stride [1, 2]); re-save it with .contiguous()");
  expect_error(one_tensor(f32_tensor(6, 0, {2, -3}, {3, 1}), six_floats), "dimension 1 has size int -3");
  expect_error(one_tensor(f32_tensor(6, 0, {2, 3}, {3}), six_floats), "not tuples of one length");
  expect_error(one_tensor(f32_tensor(6, -1, {2, 3}, {3, 1}), six_floats), "storage offset is int -1");
  // Size-1 dimensions may have any stride, as in torch.
  const torch_checkpoint ones(write(one_tensor(f32_tensor(6, 0, {2, 1, 3}, {3, 77, 1}), six_floats)));
  BOOST_TEST(ones.at("w").bytes.size() == 24u);

  pickler complex;
  complex.tensor("ComplexFloatStorage", "0", 3, 0, {3}, {1});
  expect_error(one_tensor(complex, six_floats), "storage type torch.ComplexFloatStorage is not supported");
  pickler quantized;
  quantized.tensor("FloatStorage", "0", 6, 0, {6}, {1}, "_rebuild_qtensor");
  expect_error(one_tensor(quantized, six_floats), "rebuilt by torch._utils._rebuild_qtensor");
  expect_error(make_zip({{"a/data.pkl", "\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n)Rs."s}}),
               "tensor 'w': torch._utils._rebuild_tensor_v2 has 0 arguments, expected 6 or 7");
}

BOOST_AUTO_TEST_CASE(reads_every_way_torch_rebuilds_a_dense_tensor) {
  const std::string six_floats(24, '\0');
  const auto read = [&](const std::string& pickle) {
    return torch_checkpoint(write(make_zip({{"archive/data.pkl", pickle}, {"archive/data/0", six_floats}})));
  };
  // torch >= 2.3 for new dtypes: an untyped storage of bytes and a dtype.
  const auto v3 = [](std::string_view dtype) {
    pickler p;
    p.b = "\x80\x02";
    p.op('}').str("w").global("torch._utils", "_rebuild_tensor_v3").op('(');
    p.op('(').str("storage").global("torch", "UntypedStorage").str("0").str("cpu").integer(24).op('t').op('Q');
    p.integer(0).ints({6}).ints({1}).op('\x89').global("collections", "OrderedDict").op(')').op('R');
    p.global("torch", dtype).op('t').op('R').op('s').op('.');
    return p.b;
  };
  const torch_checkpoint f32 = read(v3("float32"));
  BOOST_TEST(f32.at("w").dtype == "F32");
  BOOST_TEST(f32.at("w").bytes.size() == 24u);
  const torch_checkpoint f16 = read(v3("float16"));
  BOOST_TEST((f16.at("w").shape == std::vector<std::int64_t>{6}));  // 12 bytes of the 24
  BOOST_TEST(f16.at("w").bytes.size() == 12u);
  expect_error(make_zip({{"archive/data.pkl", v3("float8_e4m3fn")}, {"archive/data/0", six_floats}}),
               "dtype global torch.float8_e4m3fn is not supported");

  // A tensor subclass: _rebuild_from_type_v2(_rebuild_tensor_v2, cls, args, state).
  pickler sub;
  sub.b = "\x80\x02";
  sub.op('}').str("w").global("torch._utils", "_rebuild_from_type_v2").op('(');
  sub.global("torch._utils", "_rebuild_tensor_v2").global("my", "Subclass").op('(');
  sub.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(6).op('t').op('Q');
  sub.integer(0).ints({2, 3}).ints({3, 1}).op('\x89').global("collections", "OrderedDict").op(')').op('R');
  sub.op('t').op('}').op('t').op('R').op('s').op('.');
  const torch_checkpoint cp = read(sub.b);
  BOOST_TEST((cp.at("w").shape == std::vector<std::int64_t>{2, 3}));
}

// ZIP64 for real: a record 5 GiB into a sparse file, found through 64-bit
// offsets in its central entry, the ZIP64 end record and the locator.
BOOST_AUTO_TEST_CASE(reads_records_beyond_4_gib) {
  const std::uint64_t far = std::uint64_t{5} << 30;
  pickler p;
  p.b = "\x80\x02";
  p.op('}').str("w");
  p.b += f32_tensor(6, 0, {2, 3}, {3, 1}).b;
  p.op('s').op('.');
  const std::string floats = "\x00\x00\x80\x3f"s + "\x00\x00\x00\x40"s + std::string(16, '\0');  // 1, 2, 0...
  const std::string pickle_name = "big/data.pkl", data_name = "big/data/0";

  bytes_out head;  // data.pkl at 0, plain
  head.u32(0x04034b50).u16(0).u16(0).u16(0).u32(0).u32(0).u32(static_cast<std::uint32_t>(p.b.size()));
  head.u32(static_cast<std::uint32_t>(p.b.size())).u16(static_cast<std::uint16_t>(pickle_name.size())).u16(0);
  head.raw(pickle_name).raw(p.b);
  bytes_out tail;  // data/0 at 5 GiB, then the directory and end records
  tail.u32(0x04034b50).u16(0).u16(0).u16(0).u32(0).u32(0).u32(24).u32(24);
  tail.u16(static_cast<std::uint16_t>(data_name.size())).u16(12).raw(data_name).u16(1).u16(8).u64(far);
  tail.raw(floats);
  const std::uint64_t directory = far + tail.b.size();
  bytes_out cd;
  cd.u32(0x02014b50).u16(45).u16(45).u16(0).u16(0).u32(0).u32(0).u32(static_cast<std::uint32_t>(p.b.size()));
  cd.u32(static_cast<std::uint32_t>(p.b.size())).u16(static_cast<std::uint16_t>(pickle_name.size()));
  cd.u16(0).u16(0).u16(0).u16(0).u32(0).u32(0).raw(pickle_name);
  cd.u32(0x02014b50).u16(45).u16(45).u16(0).u16(0).u32(0).u32(0).u32(24).u32(24);
  cd.u16(static_cast<std::uint16_t>(data_name.size())).u16(12).u16(0).u16(0).u16(0).u32(0).u32(0xffffffff);
  cd.raw(data_name).u16(1).u16(8).u64(far);
  tail.raw(cd.b);
  const std::uint64_t zip64_end = directory + cd.b.size();
  tail.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(2).u64(2).u64(cd.b.size()).u64(directory);
  tail.u32(0x07064b50).u32(0).u64(zip64_end).u32(1);
  tail.u32(0x06054b50).u16(0).u16(0).u16(2).u16(2).u32(static_cast<std::uint32_t>(cd.b.size())).u32(0xffffffff);
  tail.u16(0);

  const fs::path path = tmp.path / "big.pt";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(head.b.data(), static_cast<std::streamsize>(head.b.size()));
    f.seekp(static_cast<std::streamoff>(far));  // the gap stays a hole
    f.write(tail.b.data(), static_cast<std::streamsize>(tail.b.size()));
    BOOST_TEST_REQUIRE(f.good(), "cannot write a sparse 5 GiB file in " << tmp.path);
  }
  const torch_checkpoint cp(path);
  const torch_tensor& w = cp.at("w");
  BOOST_TEST(static_cast<std::uint64_t>(w.bytes.data() - cp.mapping()->bytes().data()) == far + 30 + 10 + 12);
  BOOST_TEST(element<float>(w, 0) == 1.0f);
  BOOST_TEST(element<float>(w, 1) == 2.0f);
  fs::remove(path);
}

BOOST_AUTO_TEST_CASE(only_the_records_in_use_must_be_stored) {
  const std::string six_floats(24, '\0');
  const torch_checkpoint cp(write(one_tensor(f32_tensor(6, 0, {6}, {1}), six_floats, {{"archive/extra", "xyz", 8}})));
  BOOST_TEST(cp.tensors().size() == 1u);
  // A compressed storage is refused, by name.
  pickler p;
  p.b = "\x80\x02";
  p.op('}').str("w");
  p.b += f32_tensor(6, 0, {6}, {1}).b;
  p.op('s').op('.');
  expect_error(make_zip({{"archive/data.pkl", p.b}, {"archive/data/0", six_floats, 8}}),
               "entry 'archive/data/0' is compressed");
}

// --- the unpickler on Python's own pickles -------------------------------

// pickle.dumps(obj, protocol=p) for p = 1..5 (Python 3.11) of
// {'int': 1, 'neg': -300, 'big': 2**40, 'huge': -2**80, 'float': 1.5,
//  'str': 'héllo', 'bytes': b'\x00\x01', 'tuple': (1, 'a', None),
//  'list': [True, False], 'set': {3}, 'nested': {'k': [7, 7]},
//  'od': collections.OrderedDict(a=1), 'ns': argparse.Namespace(x=2)}
// Together they use every opcode of protocols 1-5 that torch.save's
// objects need, from LONG 'L' and INT 'I01' to FRAME, MEMOIZE and
// STACK_GLOBAL.
const char* const python_pickles[] = {
    "7d7100285803000000696e7471014b0158030000006e656771024ad4feffff580300000062696771034c3130393935313136"
    "32373737364c0a58040000006875676571044c2d313230383932353831393631343632393137343730363137364c0a580500"
    "0000666c6f61747105473ff800000000000058030000007374727106580600000068c3a96c6c6f7107580500000062797465"
    "737108635f636f646563730a656e636f64650a71092858020000000001710a58060000006c6174696e31710b74710c52710d"
    "58050000007475706c65710e284b01580100000061710f4e74711058040000006c69737471115d7112284930310a4930300a"
    "6558030000007365747113635f5f6275696c74696e5f5f0a7365740a7114285d71154b036174711652711758060000006e65"
    "7374656471187d711958010000006b711a5d711b284b074b07657358020000006f64711c63636f6c6c656374696f6e730a4f"
    "726465726564446963740a711d2952711e680f4b017358020000006e73711f63636f70795f7265670a5f7265636f6e737472"
    "7563746f720a7120286361726770617273650a4e616d6573706163650a7121635f5f6275696c74696e5f5f0a6f626a656374"
    "0a71224e7471235271247d712558010000007871264b027362752e",
    "80027d7100285803000000696e7471014b0158030000006e656771024ad4feffff580300000062696771038a060000000000"
    "0158040000006875676571048a0b00000000000000000000ff5805000000666c6f61747105473ff800000000000058030000"
    "007374727106580600000068c3a96c6c6f7107580500000062797465737108635f636f646563730a656e636f64650a710958"
    "020000000001710a58060000006c6174696e31710b86710c52710d58050000007475706c65710e4b01580100000061710f4e"
    "87711058040000006c69737471115d71122888896558030000007365747113635f5f6275696c74696e5f5f0a7365740a7114"
    "5d71154b036185711652711758060000006e657374656471187d711958010000006b711a5d711b284b074b07657358020000"
    "006f64711c63636f6c6c656374696f6e730a4f726465726564446963740a711d2952711e680f4b017358020000006e73711f"
    "6361726770617273650a4e616d6573706163650a7120298171217d712258010000007871234b027362752e",
    "80037d7100285803000000696e7471014b0158030000006e656771024ad4feffff580300000062696771038a060000000000"
    "0158040000006875676571048a0b00000000000000000000ff5805000000666c6f61747105473ff800000000000058030000"
    "007374727106580600000068c3a96c6c6f710758050000006279746573710843020001710958050000007475706c65710a4b"
    "01580100000061710b4e87710c58040000006c697374710d5d710e288889655803000000736574710f636275696c74696e73"
    "0a7365740a71105d71114b036185711252711358060000006e657374656471147d711558010000006b71165d7117284b074b"
    "07657358020000006f64711863636f6c6c656374696f6e730a4f726465726564446963740a71192952711a680b4b01735802"
    "0000006e73711b6361726770617273650a4e616d6573706163650a711c2981711d7d711e580100000078711f4b027362752e",
    "800495ff000000000000007d94288c03696e74944b018c036e6567944ad4feffff8c03626967948a060000000000018c0468"
    "756765948a0b00000000000000000000ff8c05666c6f617494473ff80000000000008c03737472948c0668c3a96c6c6f948c"
    "0562797465739443020001948c057475706c65944b018c0161944e87948c046c697374945d94288889658c03736574948f94"
    "284b03908c066e6573746564947d948c016b945d94284b074b0765738c026f64948c0b636f6c6c656374696f6e73948c0b4f"
    "72646572656444696374949394295294680b4b01738c026e73948c086172677061727365948c094e616d6573706163659493"
    "942981947d948c0178944b027362752e",
    "800595ff000000000000007d94288c03696e74944b018c036e6567944ad4feffff8c03626967948a060000000000018c0468"
    "756765948a0b00000000000000000000ff8c05666c6f617494473ff80000000000008c03737472948c0668c3a96c6c6f948c"
    "0562797465739443020001948c057475706c65944b018c0161944e87948c046c697374945d94288889658c03736574948f94"
    "284b03908c066e6573746564947d948c016b945d94284b074b0765738c026f64948c0b636f6c6c656374696f6e73948c0b4f"
    "72646572656444696374949394295294680b4b01738c026e73948c086172677061727365948c094e616d6573706163659493"
    "942981947d948c0178944b027362752e",
};

BOOST_AUTO_TEST_CASE(reads_pythons_pickles_of_every_binary_protocol) {
  int protocol = 0;
  for (const char* hex : python_pickles) {
    ++protocol;
    BOOST_TEST_CONTEXT("protocol " << protocol) {
      const std::string bytes = from_hex(hex);
      const auto graph = pickle::unpickle(as_bytes(bytes), "python");
      const pickle::value& root = graph.root();
      BOOST_TEST_REQUIRE((root.type == pickle::kind::dict));
      std::map<std::string, const pickle::value*> entries;
      for (const auto& [k, v] : root.entries) entries[k->text] = v;
      BOOST_TEST_REQUIRE(entries.size() == 13u);
      BOOST_TEST(entries["int"]->as_integer().value() == 1);
      BOOST_TEST(entries["neg"]->as_integer().value() == -300);
      BOOST_TEST(entries["big"]->as_integer().value() == std::int64_t{1} << 40);
      BOOST_TEST((entries["huge"]->type == pickle::kind::big_integer));
      BOOST_TEST(entries["float"]->floating == 1.5);
      BOOST_TEST(*entries["str"]->as_string() == "h\xc3\xa9llo");
      if (protocol >= 3) {
        BOOST_TEST((entries["bytes"]->type == pickle::kind::bytes));
        BOOST_TEST(entries["bytes"]->text == std::string("\x00\x01", 2));
      } else {  // _codecs.encode('\x00\x01', 'latin1')
        BOOST_TEST(entries["bytes"]->is_call_of("_codecs", "encode"));
      }
      const pickle::value& tuple = *entries["tuple"];
      BOOST_TEST_REQUIRE(tuple.items.size() == 3u);
      BOOST_TEST(tuple.item(0)->as_integer().value() == 1);
      BOOST_TEST(*tuple.item(1)->as_string() == "a");
      BOOST_TEST((tuple.item(2)->type == pickle::kind::none));
      const pickle::value& list = *entries["list"];
      BOOST_TEST_REQUIRE(list.items.size() == 2u);
      BOOST_TEST((list.item(0)->type == pickle::kind::boolean && list.item(0)->integer == 1));
      BOOST_TEST((list.item(1)->type == pickle::kind::boolean && list.item(1)->integer == 0));
      if (protocol >= 4) {
        BOOST_TEST((entries["set"]->type == pickle::kind::set));
        BOOST_TEST(entries["set"]->items.size() == 1u);
      } else {  // builtins.set([3])
        BOOST_TEST((entries["set"]->type == pickle::kind::call));
      }
      const pickle::value& nested = *entries["nested"];
      BOOST_TEST_REQUIRE(nested.entries.size() == 1u);
      BOOST_TEST(nested.entries[0].second->items.size() == 2u);
      // 7 is pickled twice, the list once: no sharing where Python had none.
      const pickle::value& od = *entries["od"];
      BOOST_TEST(od.is_call_of("collections", "OrderedDict"));
      BOOST_TEST_REQUIRE(od.entries.size() == 1u);
      BOOST_TEST(*od.entries[0].first->as_string() == "a");
      const pickle::value& ns = *entries["ns"];
      if (protocol >= 2) {
        BOOST_TEST(ns.is_call_of("argparse", "Namespace"));  // NEWOBJ
      } else {  // copy_reg._reconstructor(argparse.Namespace, object, None)
        BOOST_TEST(ns.is_call_of("copy_reg", "_reconstructor"));  // Python 2 names below protocol 3
        BOOST_TEST(ns.args->item(0)->is_global("argparse", "Namespace"));
      }
      BOOST_TEST_REQUIRE(ns.state != nullptr);
      BOOST_TEST_REQUIRE(ns.state->entries.size() == 1u);
      BOOST_TEST(ns.state->entries[0].second->as_integer().value() == 2);
    }
  }
  BOOST_TEST(protocol == 5);
}
