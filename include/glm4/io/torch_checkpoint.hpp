// PyTorch checkpoints: what torch.save (PyTorch >= 1.6) writes, e.g.
// GLM-130B's SwissArmyTransformer partitions mp_rank_0N_model_states.pt.
//
// The file is a zip archive (zip_archive.hpp) of stored records in one
// folder, named by the writer (the file's stem, or "archive"):
//   <folder>/data.pkl     the saved object, pickled (protocol 2)
//   <folder>/data/<key>   each storage's raw little-endian bytes
//   <folder>/byteorder    "little" or "big" (torch >= 2.1; absent = little)
//   <folder>/version, <folder>/.data/serialization_id
// In the pickle (torch/serialization.py `_save`, torch/_tensor.py
// `_reduce_ex_internal`) a tensor is
//   torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
//                                   requires_grad, backward_hooks[, metadata])
// with storage the persistent id ('storage', torch.HalfStorage, key,
// location, numel): numel elements of the storage type in data/<key>.
//
// The pickle is read by pickle.hpp, which executes nothing; this walks the
// result and collects every tensor under its path of dict keys joined with
// '.' ({"module": {"transformer.layers.0.x": t}} gives
// "module.transformer.layers.0.x"), list and tuple elements by index, and
// the attributes of objects (an argparse.Namespace) by name. Integers, floats
// and strings met on the way are kept as scalars ("iteration"). Whatever
// else the file holds (optimizer state, RNG state, objects of classes we
// have never heard of) is passed over. Tensor bytes stay in the mapping.
//
// Refused, each with a format_error naming the file and the tensor: the
// pre-1.6 format, TorchScript archives, big-endian files, compressed
// records, tensors that are not contiguous row-major (re-save with
// .contiguous()), dtypes outside F16 BF16 F32 F64 I8 U8 I16 I32 I64 BOOL,
// quantized and sparse tensors, and anything whose numbers do not fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "glm4/core/error.hpp"
#include "glm4/io/mapped_file.hpp"
#include "glm4/io/pickle.hpp"
#include "glm4/io/zip_archive.hpp"

namespace glm4::io {

struct torch_tensor {
  std::string dtype;  // "F16", "BF16", "F32", ... as safetensors names them
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // row-major, little-endian, in the mapping

  std::int64_t elements() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

// An integer (bools as 0 / 1), float or string entry of the checkpoint.
using torch_scalar = std::variant<std::int64_t, double, std::string>;

class torch_checkpoint {
 public:
  // Bounds on the walk over the unpickled objects: a pickle can share one
  // container from many places and so name exponentially many paths.
  static constexpr int max_depth = 64;
  static constexpr std::size_t max_visits = std::size_t{1} << 20;

  explicit torch_checkpoint(const std::filesystem::path& file) : file_(mapped_file::open(file)) { parse(); }

  const std::filesystem::path& path() const { return file_->path(); }
  std::shared_ptr<const mapped_file> mapping() const { return file_; }
  // The folder the records are in ("mp_rank_00_model_states").
  const std::string& archive_name() const { return folder_; }

  const std::map<std::string, torch_tensor, std::less<>>& tensors() const { return tensors_; }
  const torch_tensor* find(std::string_view name) const {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }
  // The tensor or a format_error naming it and the file.
  const torch_tensor& at(std::string_view name) const {
    if (const auto* t = find(name)) return *t;
    fail("no tensor named " + detail::quoted(name));
  }

  // The non-tensor entries that are numbers or strings, flattened like the
  // tensors' names ("iteration", "args.num_layers").
  const std::map<std::string, torch_scalar, std::less<>>& scalars() const { return scalars_; }

 private:
  struct storage_type {
    std::string_view torch_name, dtype;
    std::size_t size;
  };
  // The storage classes torch pickles (torch/storage.py _pickle_storage_type)
  // and the dtypes _rebuild_tensor_v3 names, with our dtype names.
  static const storage_type* find_storage(std::string_view torch_name) {
    static constexpr storage_type types[] = {
        {"HalfStorage", "F16", 2},   {"BFloat16Storage", "BF16", 2}, {"FloatStorage", "F32", 4},
        {"DoubleStorage", "F64", 8}, {"CharStorage", "I8", 1},       {"ByteStorage", "U8", 1},
        {"ShortStorage", "I16", 2},  {"IntStorage", "I32", 4},       {"LongStorage", "I64", 8},
        {"BoolStorage", "BOOL", 1},  {"UntypedStorage", "U8", 1},
    };
    for (const auto& t : types)
      if (t.torch_name == torch_name) return &t;
    return nullptr;
  }
  static const storage_type* find_dtype(std::string_view torch_name) {
    static constexpr storage_type types[] = {
        {"float16", "F16", 2}, {"half", "F16", 2},    {"bfloat16", "BF16", 2}, {"float32", "F32", 4},
        {"float", "F32", 4},   {"float64", "F64", 8}, {"double", "F64", 8},    {"int8", "I8", 1},
        {"uint8", "U8", 1},    {"int16", "I16", 2},   {"short", "I16", 2},     {"int32", "I32", 4},
        {"int", "I32", 4},     {"int64", "I64", 8},   {"long", "I64", 8},      {"bool", "BOOL", 1},
    };
    for (const auto& t : types)
      if (t.torch_name == torch_name) return &t;
    return nullptr;
  }

  [[noreturn]] void fail(const std::string& what) const { throw format_error(path().string() + ": " + what); }
  [[noreturn]] void fail_tensor(const std::string& name, const std::string& what) const {
    fail("tensor " + detail::quoted(name) + ": " + what);
  }

  void parse() {
    refuse_other_formats();
    const zip_archive zip(file_);
    const zip_entry* pickle_entry = nullptr;
    for (const auto& e : zip.entries()) {
      const auto slash = e.name.find('/');
      if (slash == std::string::npos || e.name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
      if (pickle_entry != nullptr)
        fail("holds two pickles, " + detail::quoted(pickle_entry->name) + " and " + detail::quoted(e.name) +
             ": not a single torch.save checkpoint");
      pickle_entry = &e;
    }
    if (pickle_entry == nullptr) fail("a zip archive without a <folder>/data.pkl record: not a torch.save checkpoint");
    folder_ = pickle_entry->name.substr(0, pickle_entry->name.find('/'));
    if (zip.find(folder_ + "/constants.pkl") != nullptr)
      fail(
          "a TorchScript archive (torch.jit.save), not a torch.save checkpoint: load it in PyTorch and "
          "torch.save its state_dict()");

    if (const zip_entry* order = zip.find(folder_ + "/byteorder")) {
      const auto b = zip.bytes(*order);
      const std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
      if (text == "big")
        fail(
            "was written on a big-endian machine (byteorder 'big'); glm4.hpp uses tensor bytes in place and "
            "reads little-endian files only");
      if (text != "little") fail("byteorder record is " + detail::quoted(text) + ", expected 'little' or 'big'");
    }

    const pickle::object_graph graph =
        pickle::unpickle(zip.bytes(*pickle_entry), path().string() + ": " + pickle_entry->name);
    walk(zip, graph.root(), "", 0);
  }

  // torch.load's other formats, told apart by their first bytes.
  void refuse_other_formats() const {
    const auto b = file_->bytes();
    const auto starts = [&](std::string_view magic) {
      return b.size() >= magic.size() && std::memcmp(b.data(), magic.data(), magic.size()) == 0;
    };
    if (starts("PK\x03\x04")) return;
    if (starts("PK\x05\x06")) fail("an empty zip archive, not a torch.save checkpoint");
    // Legacy files are a sequence of pickles, the first torch's magic number
    // 0x1950a86a20f9469cfc6c (torch/serialization.py MAGIC_NUMBER) as LONG1.
    if (starts("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19") ||
        (b.size() > 262 && std::memcmp(b.data() + 257, "ustar", 5) == 0))
      fail(
          "a PyTorch checkpoint in the legacy format (torch.save before 1.6, or with "
          "_use_new_zipfile_serialization=False); glm4.hpp reads the zip format only: re-save it with "
          "torch >= 1.6, torch.save(torch.load(f), 'new.pt')");
    if (starts("PYTORCH1")) fail("a PyTorch 1.4-preview archive, a format no longer read");
    if (!b.empty() && std::to_integer<unsigned>(b[0]) == 0x80)
      fail("a bare pickle, not a torch.save checkpoint (which is a zip archive)");
    fail("not a PyTorch checkpoint: it does not start with a zip local header (PK\\x03\\x04)");
  }

  // A call of torch._utils._rebuild_*: how torch pickles tensors.
  static bool is_rebuild(const pickle::value& v) {
    return v.type == pickle::kind::call && v.callable != nullptr && v.callable->type == pickle::kind::global &&
           v.callable->text == "torch._utils" && v.callable->name.starts_with("_rebuild_");
  }

  static std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

  void walk(const zip_archive& zip, const pickle::value& v, const std::string& name, int depth) {
    using pickle::kind;
    if (++visits_ > max_visits)
      fail("its objects are reached along more than " + std::to_string(max_visits) +
           " paths (containers shared many times over); refusing to enumerate them");
    if (depth > max_depth)
      fail("entry " + detail::quoted(name) + " is nested more than " + std::to_string(max_depth) + " levels deep");
    switch (v.type) {
      case kind::boolean:
      case kind::integer:
        scalars_.emplace(name, v.integer);
        return;
      case kind::floating:
        scalars_.emplace(name, v.floating);
        return;
      case kind::string:
        scalars_.emplace(name, v.text);
        return;
      case kind::dict:
        return walk_entries(zip, v.entries, name, depth);
      case kind::tuple:
      case kind::list:
        for (std::size_t i = 0; i < v.items.size(); ++i)
          walk(zip, *v.items[i], join(name, std::to_string(i)), depth + 1);
        return;
      case kind::call: {
        if (is_rebuild(v)) return add_tensor(zip, name, v, 0);
        // OrderedDict and other dict and list subclasses hold their items
        // like a dict or list; other objects keep their attributes in the
        // state BUILD gave them. An OrderedDict's state is the _metadata
        // attribute of a state_dict, versions, not weights.
        walk_entries(zip, v.entries, name, depth);
        for (std::size_t i = 0; i < v.items.size(); ++i)
          walk(zip, *v.items[i], join(name, std::to_string(i)), depth + 1);
        if (v.state != nullptr && v.state->type == kind::dict && !v.is_call_of("collections", "OrderedDict"))
          walk_entries(zip, v.state->entries, name, depth);
        return;
      }
      default:
        return;  // None, bytes, sets, globals, bare storages
    }
  }

  void walk_entries(const zip_archive& zip,
                    const std::vector<std::pair<const pickle::value*, const pickle::value*>>& entries,
                    const std::string& name, int depth) {
    for (const auto& [key, child] : entries) {
      if (key->type == pickle::kind::string) {
        walk(zip, *child, join(name, key->text), depth + 1);
      } else if (key->type == pickle::kind::integer) {
        walk(zip, *child, join(name, std::to_string(key->integer)), depth + 1);
      }  // keys that are tuples, None, ... give no name; passed over
    }
  }

  // A call of torch._utils._rebuild_*: the tensor it rebuilds, at `name`.
  void add_tensor(const zip_archive& zip, const std::string& name, const pickle::value& call, int wrappers) {
    using pickle::kind;
    const std::string& function = call.callable->name;
    const pickle::value* args = call.args;
    const auto arg = [&](std::size_t i) { return args != nullptr ? args->item(i) : nullptr; };
    // Parameters and tensor subclasses wrap the plain tensor's rebuild call.
    if (function == "_rebuild_parameter" || function == "_rebuild_parameter_with_state") {
      const pickle::value* data = arg(0);  // (data, requires_grad, hooks[, state])
      if (data == nullptr || !is_rebuild(*data) || wrappers > 4)
        fail_tensor(name, "a parameter whose data is not a tensor");
      return add_tensor(zip, name, *data, wrappers + 1);
    }
    if (function == "_rebuild_from_type_v2") {  // (func, type, args, state): func(*args)
      const pickle::value* func = arg(0);
      const pickle::value* func_args = arg(2);
      if (func == nullptr || func_args == nullptr || wrappers > 4)
        fail_tensor(name, "torch._utils._rebuild_from_type_v2 without a function and its arguments");
      pickle::value unwrapped;
      unwrapped.type = kind::call;
      unwrapped.callable = func;
      unwrapped.args = func_args;
      if (!is_rebuild(unwrapped))
        fail_tensor(name, "rebuilt by " + pickle::describe(*func) + ", which glm4.hpp does not read");
      return add_tensor(zip, name, unwrapped, wrappers + 1);
    }
    const bool v3 = function == "_rebuild_tensor_v3";
    if (function != "_rebuild_tensor_v2" && !v3)
      fail_tensor(name, "rebuilt by torch._utils." + function +
                            " (quantized, sparse, nested or meta); glm4.hpp reads dense tensors only");
    const std::size_t count = args != nullptr && args->type == kind::tuple ? args->items.size() : 0;
    if (count < (v3 ? 7u : 6u))
      fail_tensor(name, "torch._utils." + function + " has " + std::to_string(count) + " arguments, expected " +
                            (v3 ? "7 or 8" : "6 or 7"));

    // The storage: ('storage', torch.<Type>Storage, key, location, numel).
    const pickle::value* pid = arg(0);
    const pickle::value* id = pid != nullptr && pid->type == kind::persistent_id ? pid->args : nullptr;
    if (id == nullptr || id->type != kind::tuple || id->items.size() != 5 || id->items[0]->as_string() == nullptr ||
        *id->items[0]->as_string() != "storage")
      fail_tensor(name, "its storage is not a ('storage', type, key, location, size) persistent id");
    const pickle::value& type = *id->items[1];
    const std::string* key = id->items[2]->as_string();
    const auto numel = id->items[4]->as_integer();
    if (type.type != kind::global || type.text != "torch" || key == nullptr || !numel || *numel < 0)
      fail_tensor(name, "its storage id holds " + pickle::describe(type) + ", " + pickle::describe(*id->items[2]) +
                            " and " + pickle::describe(*id->items[4]) +
                            "; expected a torch storage class, a string key and a size");
    const storage_type* storage = find_storage(type.name);
    if (storage == nullptr)
      fail_tensor(name, "storage type torch." + type.name +
                            " is not supported (glm4.hpp reads F16 BF16 F32 F64 I8 U8 I16 I32 I64 BOOL)");
    const storage_type* element = storage;
    if (v3) {  // an untyped storage of bytes, the dtype an argument of its own
      const pickle::value* dtype = arg(6);
      element =
          dtype != nullptr && dtype->type == kind::global && dtype->text == "torch" ? find_dtype(dtype->name) : nullptr;
      if (element == nullptr)
        fail_tensor(name, "dtype " + (dtype != nullptr ? pickle::describe(*dtype) : std::string("(missing)")) +
                              " is not supported (glm4.hpp reads F16 BF16 F32 F64 I8 U8 I16 I32 I64 BOOL)");
    }

    torch_tensor t;
    t.dtype = element->dtype;
    const auto offset = arg(1)->as_integer();
    const pickle::value* size = arg(2);
    const pickle::value* stride = arg(3);
    if (!offset || *offset < 0) fail_tensor(name, "storage offset is " + pickle::describe(*arg(1)));
    if (size->type != kind::tuple || stride->type != kind::tuple || size->items.size() != stride->items.size())
      fail_tensor(name, "size and stride are " + pickle::describe(*size) + " and " + pickle::describe(*stride) +
                            ", not tuples of one length");
    std::vector<std::int64_t> strides;
    std::uint64_t elements = 1;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    for (std::size_t d = 0; d < size->items.size(); ++d) {
      const auto n = size->items[d]->as_integer();
      const auto s = stride->items[d]->as_integer();
      if (!n || *n < 0 || !s || *s < 0)
        fail_tensor(name, "dimension " + std::to_string(d) + " has size " + pickle::describe(*size->items[d]) +
                              " and stride " + pickle::describe(*stride->items[d]));
      const auto un = static_cast<std::uint64_t>(*n);
      if (un != 0 && elements > max / element->size / un)
        fail_tensor(name,
                    "its shape overflows 64 bits (dimension " + std::to_string(d) + " is " + std::to_string(*n) + ")");
      elements *= un;
      t.shape.push_back(*n);
      strides.push_back(*s);
    }
    // Row-major contiguity as torch defines it (c10 is_contiguous): size-1
    // dimensions may have any stride, and an empty tensor is contiguous.
    std::uint64_t expected = 1;
    for (std::size_t d = t.shape.size(); d-- > 0 && elements != 0;) {
      if (t.shape[d] == 1) continue;
      if (static_cast<std::uint64_t>(strides[d]) != expected)
        fail_tensor(name, "it is not contiguous (shape " + list(t.shape) + ", stride " + list(strides) +
                              "); re-save it with .contiguous()");
      expected *= static_cast<std::uint64_t>(t.shape[d]);
    }

    const std::string record = folder_ + "/data/" + *key;
    const zip_entry* entry = zip.find(record);
    if (entry == nullptr) fail_tensor(name, "its storage record " + detail::quoted(record) + " is not in the archive");
    const auto bytes = zip.bytes(*entry);
    if (static_cast<std::uint64_t>(*numel) > max / storage->size ||
        bytes.size() != static_cast<std::uint64_t>(*numel) * storage->size)
      fail_tensor(name, "its storage " + detail::quoted(record) + " holds " + std::to_string(bytes.size()) +
                            " bytes, the pickle says " + std::to_string(*numel) + " elements of " +
                            std::to_string(storage->size) + " bytes");
    const std::uint64_t storage_elements = bytes.size() / element->size;
    const auto first = static_cast<std::uint64_t>(*offset);
    if (elements != 0 && (first > storage_elements || elements > storage_elements - first))
      fail_tensor(name, "elements [" + std::to_string(first) + ", +" + std::to_string(elements) +
                            ") lie outside its storage of " + std::to_string(storage_elements));
    t.bytes = elements == 0 ? bytes.subspan(0, 0) : bytes.subspan(first * element->size, elements * element->size);
    if (!tensors_.emplace(name, std::move(t)).second)
      fail("two tensors are named " + detail::quoted(name) + " once nested keys are joined with '.'");
  }

  static std::string list(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
  }

  std::shared_ptr<const mapped_file> file_;
  std::string folder_;
  std::map<std::string, torch_tensor, std::less<>> tensors_;
  std::map<std::string, torch_scalar, std::less<>> scalars_;
  std::size_t visits_ = 0;
};

}  // namespace glm4::io
