// A restricted unpickler: reads a Python pickle (protocols 0-5, the opcodes
// torch.save and ordinary pickles emit) into a graph of plain values and
// never executes anything. Where Python would import a module and call into
// it (GLOBAL, REDUCE, NEWOBJ, BUILD, BINPERSID) this records what would have
// been called with what, and the caller decides what, say, a call of
// torch._utils._rebuild_tensor_v2 means. A real unpickler runs whatever code
// the file names, which is why it is no way to read files from strangers.
//
// Values live in an arena owned by the result and point at each other, so a
// memo entry fetched a million times is one value, not a million copies, and
// containers that hold themselves cost nothing to free. Everything a hostile
// pickle could make grow (values, stack, marks, memo) is bounded by `limits`;
// strings are bounded by the input. Every problem is a format_error naming
// the source, the byte offset and, for opcodes, the opcode.
//
// The opcodes and their arguments are Python's Lib/pickletools.py; the
// semantics those of Lib/pickle.py's _Unpickler, which this follows
// (including that POP on an empty frame pops the mark).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "glm4/core/error.hpp"

namespace glm4::io::pickle {

enum class kind : std::uint8_t {
  none,
  boolean,
  integer,      // fits int64
  big_integer,  // does not; its value is not kept
  floating,
  string,
  bytes,
  tuple,
  list,
  dict,
  set,            // set and frozenset
  global,         // a module-level name: text = module, name = name
  call,           // REDUCE / NEWOBJ: callable(*args), then BUILD(state)
  persistent_id,  // BINPERSID / PERSID: args = the id
};

struct value {
  kind type = kind::none;
  std::int64_t integer = 0;  // boolean (0 or 1), integer
  double floating = 0;
  std::string text;                                            // string, bytes; global: the module
  std::string name;                                            // global: the name
  std::vector<const value*> items;                             // tuple, list, set; call: APPENDed items
  std::vector<std::pair<const value*, const value*>> entries;  // dict; call: SETITEMed entries
  const value* callable = nullptr;                             // call
  const value* args = nullptr;                                 // call: arguments; persistent_id: the id
  const value* state = nullptr;                                // call: BUILD's argument, if any

  bool is_global(std::string_view module, std::string_view global_name) const {
    return type == kind::global && text == module && name == global_name;
  }
  // A call of module.name (REDUCE or NEWOBJ).
  bool is_call_of(std::string_view module, std::string_view global_name) const {
    return type == kind::call && callable != nullptr && callable->is_global(module, global_name);
  }
  // Element i of a tuple or list, or nullptr.
  const value* item(std::size_t i) const {
    return (type == kind::tuple || type == kind::list) && i < items.size() ? items[i] : nullptr;
  }
  std::optional<std::int64_t> as_integer() const {
    if (type == kind::integer) return integer;
    return std::nullopt;
  }
  const std::string* as_string() const { return type == kind::string ? &text : nullptr; }
};

// What a pickle may make us hold. A GLM-130B partition's pickle has ~10^4
// values; the defaults cost at most a few hundred MB on hostile input.
struct limits {
  std::size_t max_values = std::size_t{1} << 21;
  std::size_t max_stack = std::size_t{1} << 20;  // stack entries and marks
  std::size_t max_memo = std::size_t{1} << 21;
};

// "int 3", "str 'abc'", "global torch.HalfStorage", "call of
// collections.OrderedDict", ... for messages.
inline std::string describe(const value& v) {
  const auto shown = [](std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return s.size() > 60 ? out + "..." : out;
  };
  switch (v.type) {
    case kind::none:
      return "None";
    case kind::boolean:
      return v.integer ? "True" : "False";
    case kind::integer:
      return "int " + std::to_string(v.integer);
    case kind::big_integer:
      return "an int beyond 64 bits";
    case kind::floating:
      return "float " + std::to_string(v.floating);
    case kind::string:
      return "str '" + shown(v.text) + "'";
    case kind::bytes:
      return "bytes of length " + std::to_string(v.text.size());
    case kind::tuple:
      return "tuple of " + std::to_string(v.items.size());
    case kind::list:
      return "list of " + std::to_string(v.items.size());
    case kind::dict:
      return "dict of " + std::to_string(v.entries.size());
    case kind::set:
      return "set of " + std::to_string(v.items.size());
    case kind::global:
      return "global " + shown(v.text) + "." + shown(v.name);
    case kind::call:
      return v.callable != nullptr && v.callable->type == kind::global
                 ? "call of " + shown(v.callable->text) + "." + shown(v.callable->name)
                 : std::string("call");
    case kind::persistent_id:
      return "persistent id";
  }
  return "value";
}

// The values a pickle made, and the one it returned.
class object_graph {
 public:
  object_graph(object_graph&&) = default;  // a deque keeps its elements' addresses when moved
  object_graph& operator=(object_graph&&) = default;
  object_graph(const object_graph&) = delete;
  object_graph& operator=(const object_graph&) = delete;

  const value& root() const { return *root_; }
  std::size_t size() const { return values_.size(); }

 private:
  object_graph() = default;
  friend class unpickler;

  std::deque<value> values_;
  const value* root_ = nullptr;
};

// Pickle opcode names (Lib/pickletools.py), for messages; empty if unknown.
inline std::string_view opcode_name(std::uint8_t op) {
  // clang-format off
  switch (op) {
    case '(': return "MARK";           case '.': return "STOP";          case '0': return "POP";
    case '1': return "POP_MARK";       case '2': return "DUP";           case 'F': return "FLOAT";
    case 'I': return "INT";            case 'J': return "BININT";        case 'K': return "BININT1";
    case 'L': return "LONG";           case 'M': return "BININT2";       case 'N': return "NONE";
    case 'P': return "PERSID";         case 'Q': return "BINPERSID";     case 'R': return "REDUCE";
    case 'S': return "STRING";         case 'T': return "BINSTRING";     case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";        case 'X': return "BINUNICODE";    case 'a': return "APPEND";
    case 'b': return "BUILD";          case 'c': return "GLOBAL";        case 'd': return "DICT";
    case '}': return "EMPTY_DICT";     case 'e': return "APPENDS";       case 'g': return "GET";
    case 'h': return "BINGET";         case 'i': return "INST";          case 'j': return "LONG_BINGET";
    case 'l': return "LIST";           case ']': return "EMPTY_LIST";    case 'o': return "OBJ";
    case 'p': return "PUT";            case 'q': return "BINPUT";        case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";        case 't': return "TUPLE";         case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";       case 'G': return "BINFLOAT";      case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES"; case 0x80: return "PROTO";        case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";          case 0x83: return "EXT2";         case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";        case 0x86: return "TUPLE2";       case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";       case 0x89: return "NEWFALSE";     case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";         case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";   case 0x8e: return "BINBYTES8";    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";      case 0x91: return "FROZENSET";    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";  case 0x94: return "MEMOIZE";      case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";    case 0x97: return "NEXT_BUFFER";  case 0x98: return "READONLY_BUFFER";
    default: return {};
  }
  // clang-format on
}

// The interpreter behind unpickle(); one per pickle.
class unpickler {
 public:
  unpickler(std::span<const std::byte> data, std::string_view source, const limits& lim)
      : data_(data), source_(source), limits_(lim) {}

  object_graph run() {
    while (true) {
      if (pos_ >= data_.size()) fail_at(data_.size(), "the pickle ends without STOP");
      op_at_ = pos_;
      op_ = byte_at(pos_++);
      if (op_ == '.') {  // STOP
        need(1);
        graph_.root_ = stack_.back();
        return std::move(graph_);
      }
      step();
    }
  }

 private:
  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    throw format_error(std::string(source_) + ": pickle offset " + std::to_string(at) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const {
    const std::string_view name = opcode_name(op_);
    fail_at(op_at_, std::string(name.empty() ? "opcode" : name) + ": " + what);
  }

  std::uint8_t byte_at(std::size_t at) const { return std::to_integer<std::uint8_t>(data_[at]); }

  // The next n argument bytes of the current opcode.
  std::span<const std::byte> take(std::uint64_t n) {
    if (n > data_.size() - pos_)
      fail("needs " + std::to_string(n) + " bytes of argument, the pickle has " + std::to_string(data_.size() - pos_) +
           " left");
    const auto s = data_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t take_le(int n) {
    const auto s = take(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(s[static_cast<std::size_t>(i)]);
    return v;
  }
  std::uint64_t take_be8() {
    std::uint64_t v = 0;
    for (std::byte b : take(8)) v = (v << 8) | std::to_integer<std::uint64_t>(b);
    return v;
  }
  std::string_view take_text(std::uint64_t n) {
    const auto s = take(n);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }
  // A protocol-0 argument: the bytes up to the next newline.
  std::string_view take_line() {
    for (std::size_t i = pos_; i < data_.size(); ++i)
      if (byte_at(i) == '\n') {
        const std::string_view line(reinterpret_cast<const char*>(data_.data() + pos_), i - pos_);
        pos_ = i + 1;
        return line;
      }
    fail("its argument has no terminating newline");
  }
  // A decimal protocol-0 integer (INT, LONG, GET, PUT); nullopt beyond int64.
  std::optional<std::int64_t> parse_decimal(std::string_view s) const {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);  // LONG's Python 2 suffix
    const bool negative = !s.empty() && s.front() == '-';
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    if (s.empty()) fail("its argument is not a decimal integer");
    std::uint64_t v = 0;
    bool overflow = false;
    for (char c : s) {
      if (c < '0' || c > '9') fail("its argument is not a decimal integer");
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) overflow = true;
      if (!overflow) v = v * 10 + d;
    }
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (overflow || v > max + (negative ? 1 : 0)) return std::nullopt;
    return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  }

  value* make(kind k) {
    if (graph_.values_.size() >= limits_.max_values)
      fail("the pickle makes more than " + std::to_string(limits_.max_values) + " values");
    value& v = graph_.values_.emplace_back();
    v.type = k;
    return &v;
  }
  void push(value* v) {
    if (stack_.size() >= limits_.max_stack)
      fail("the stack grows past " + std::to_string(limits_.max_stack) + " entries");
    stack_.push_back(v);
  }
  // The current frame is the stack above the last MARK.
  std::size_t frame() const { return marks_.empty() ? 0 : marks_.back(); }
  void need(std::size_t n) const {
    if (stack_.size() - frame() < n)
      fail("needs " + std::to_string(n) + " values on the stack, there are " + std::to_string(stack_.size() - frame()));
  }
  value* pop() {
    need(1);
    value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  value* top() {
    need(1);
    return stack_.back();
  }
  // The values above the last MARK, which is removed.
  std::vector<value*> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const auto first = stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back());
    std::vector<value*> items(first, stack_.end());
    stack_.erase(first, stack_.end());
    marks_.pop_back();
    return items;
  }

  void push_integer(std::optional<std::int64_t> v) {
    value* x = make(v ? kind::integer : kind::big_integer);
    x->integer = v.value_or(0);
    push(x);
  }
  void push_text(kind k, std::string_view s) {
    value* x = make(k);
    x->text.assign(s);
    push(x);
  }
  void push_sequence(kind k, std::vector<value*> items) {
    value* x = make(k);
    x->items.assign(items.begin(), items.end());
    push(x);
  }
  void push_global(std::string_view module, std::string_view name) {
    value* g = make(kind::global);
    g->text.assign(module);
    g->name.assign(name);
    push(g);
  }
  // LONG1 / LONG4: little-endian two's complement of any length.
  void push_long(std::span<const std::byte> b) {
    const std::size_t n = b.size();
    if (n == 0) return push_integer(0);
    const bool negative = std::to_integer<std::uint8_t>(b[n - 1]) & 0x80;
    const std::uint8_t fill = negative ? 0xff : 0x00;
    // Bytes past the eighth must only extend the sign of the eighth.
    for (std::size_t i = 8; i < n; ++i)
      if (std::to_integer<std::uint8_t>(b[i]) != fill) return push_integer(std::nullopt);
    if (n > 8 && bool(std::to_integer<std::uint8_t>(b[7]) & 0x80) != negative) return push_integer(std::nullopt);
    std::uint64_t v = negative ? ~std::uint64_t{0} : 0;
    for (std::size_t i = std::min<std::size_t>(n, 8); i-- > 0;) v = (v << 8) | std::to_integer<std::uint64_t>(b[i]);
    push_integer(static_cast<std::int64_t>(v));
  }
  void memo_put(std::uint64_t index) {
    value* v = top();
    if (memo_.size() >= limits_.max_memo && !memo_.contains(index))
      fail("the memo grows past " + std::to_string(limits_.max_memo) + " entries");
    memo_[index] = v;
  }
  void memo_get(std::uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    push(it->second);
  }
  std::uint64_t memo_index(std::string_view line) {
    const auto v = parse_decimal(line);
    if (!v || *v < 0) fail("its memo index is not a non-negative integer");
    return static_cast<std::uint64_t>(*v);
  }
  void require(const value* target, kind k1, const char* what) const {
    if (target->type != k1 && target->type != kind::call)
      fail(std::string("applies to ") + what + ", not to " + describe(*target));
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const auto v = take_le(1);
        if (v > 5) fail("protocol " + std::to_string(v) + " is newer than this reader (5)");
        return;
      }
      case 0x95: {  // FRAME: a length hint for buffered readers
        const auto n = take_le(8);
        if (n > data_.size() - pos_) fail("the frame of " + std::to_string(n) + " bytes runs past the pickle");
        return;
      }
      case '(':  // MARK
        if (marks_.size() >= limits_.max_stack)
          fail("more than " + std::to_string(limits_.max_stack) + " nested MARKs");
        marks_.push_back(stack_.size());
        return;
      case '0':  // POP
        if (!marks_.empty() && stack_.size() == marks_.back()) {
          marks_.pop_back();
        } else {
          pop();
        }
        return;
      case '1':
        pop_mark();
        return;  // POP_MARK
      case '2':
        push(top());
        return;  // DUP
      case 'N':
        push(make(kind::none));
        return;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        value* b = make(kind::boolean);
        b->integer = op_ == 0x88;
        return push(b);
      }
      case 'I': {  // INT; Python 2 wrote booleans as I00 / I01
        const std::string_view line = take_line();
        if (line == "00" || line == "01") {
          value* b = make(kind::boolean);
          b->integer = line == "01";
          return push(b);
        }
        return push_integer(parse_decimal(line));
      }
      case 'L':
        return push_integer(parse_decimal(take_line()));  // LONG
      case 'J':
        return push_integer(static_cast<std::int32_t>(take_le(4)));  // BININT
      case 'K':
        return push_integer(static_cast<std::int64_t>(take_le(1)));  // BININT1
      case 'M':
        return push_integer(static_cast<std::int64_t>(take_le(2)));  // BININT2
      case 0x8a:
        return push_long(take(take_le(1)));  // LONG1
      case 0x8b: {                           // LONG4
        const auto n = static_cast<std::int32_t>(take_le(4));
        if (n < 0) fail("negative length " + std::to_string(n));
        return push_long(take(static_cast<std::uint64_t>(n)));
      }
      case 'G': {  // BINFLOAT: a big-endian IEEE double
        value* f = make(kind::floating);
        f->floating = std::bit_cast<double>(take_be8());
        return push(f);
      }
      case 'X':
        return push_text(kind::string, take_text(take_le(4)));  // BINUNICODE
      case 0x8c:
        return push_text(kind::string, take_text(take_le(1)));  // SHORT_BINUNICODE
      case 0x8d:
        return push_text(kind::string, take_text(take_le(8)));  // BINUNICODE8
      case 'U':
        return push_text(kind::string, take_text(take_le(1)));  // SHORT_BINSTRING
      case 'T': {  // BINSTRING: torch.load decodes Python 2 strings as UTF-8 text
        const auto n = static_cast<std::int32_t>(take_le(4));
        if (n < 0) fail("negative length " + std::to_string(n));
        return push_text(kind::string, take_text(static_cast<std::uint64_t>(n)));
      }
      case 'B':
        return push_text(kind::bytes, take_text(take_le(4)));  // BINBYTES
      case 'C':
        return push_text(kind::bytes, take_text(take_le(1)));  // SHORT_BINBYTES
      case 0x8e:                                               // BINBYTES8
      case 0x96:
        return push_text(kind::bytes, take_text(take_le(8)));  // BYTEARRAY8
      case ')':
        return push_sequence(kind::tuple, {});  // EMPTY_TUPLE
      case 't':
        return push_sequence(kind::tuple, pop_mark());  // TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const std::size_t n = op_ - 0x84u;
        need(n);
        std::vector<value*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return push_sequence(kind::tuple, std::move(items));
      }
      case ']':
        return push_sequence(kind::list, {});  // EMPTY_LIST
      case 'l':
        return push_sequence(kind::list, pop_mark());  // LIST
      case 'a': {                                      // APPEND
        need(2);
        value* v = pop();
        value* target = top();
        require(target, kind::list, "a list");
        target->items.push_back(v);
        return;
      }
      case 'e': {  // APPENDS
        auto items = pop_mark();
        value* target = top();
        require(target, kind::list, "a list");
        target->items.insert(target->items.end(), items.begin(), items.end());
        return;
      }
      case '}':
        return push(make(kind::dict));  // EMPTY_DICT
      case 'd': {                       // DICT
        auto items = pop_mark();
        if (items.size() % 2) fail("an odd number of keys and values");
        value* d = make(kind::dict);
        for (std::size_t i = 0; i < items.size(); i += 2) d->entries.emplace_back(items[i], items[i + 1]);
        return push(d);
      }
      case 's': {  // SETITEM
        need(3);
        value* v = pop();
        value* k = pop();
        value* target = top();
        require(target, kind::dict, "a dict");
        target->entries.emplace_back(k, v);
        return;
      }
      case 'u': {  // SETITEMS
        auto items = pop_mark();
        if (items.size() % 2) fail("an odd number of keys and values");
        value* target = top();
        require(target, kind::dict, "a dict");
        for (std::size_t i = 0; i < items.size(); i += 2) target->entries.emplace_back(items[i], items[i + 1]);
        return;
      }
      case 0x8f:
        return push_sequence(kind::set, {});  // EMPTY_SET
      case 0x91:
        return push_sequence(kind::set, pop_mark());  // FROZENSET
      case 0x90: {                                    // ADDITEMS
        auto items = pop_mark();
        value* target = top();
        require(target, kind::set, "a set");
        target->items.insert(target->items.end(), items.begin(), items.end());
        return;
      }
      case 'c': {  // GLOBAL: "module\nname\n"
        const std::string_view module = take_line();
        return push_global(module, take_line());
      }
      case 0x93: {  // STACK_GLOBAL
        need(2);
        value* name = pop();
        value* module = pop();
        if (module->type != kind::string || name->type != kind::string)
          fail("module and name are " + describe(*module) + " and " + describe(*name) + ", not strings");
        return push_global(module->text, name->text);
      }
      case 0x92:  // NEWOBJ_EX: cls, args, kwargs (the keywords are dropped), then as NEWOBJ
        need(3);
        pop();
        [[fallthrough]];
      case 'R':     // REDUCE: callable(*args)
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        need(2);
        value* args = pop();
        value* callable = pop();
        value* c = make(kind::call);
        c->callable = callable;
        c->args = args;
        return push(c);
      }
      case 'b': {  // BUILD: obj.__setstate__(state), recorded on calls
        need(2);
        value* state = pop();
        value* target = top();
        if (target->type == kind::call) target->state = state;
        return;
      }
      case 'Q': {  // BINPERSID
        value* id = pop();
        value* p = make(kind::persistent_id);
        p->args = id;
        return push(p);
      }
      case 'P': {  // PERSID
        value* id = make(kind::string);
        id->text.assign(take_line());
        value* p = make(kind::persistent_id);
        p->args = id;
        return push(p);
      }
      case 'p':
        return memo_put(memo_index(take_line()));  // PUT
      case 'q':
        return memo_put(take_le(1));  // BINPUT
      case 'r':
        return memo_put(take_le(4));  // LONG_BINPUT
      case 0x94:
        return memo_put(memo_.size());  // MEMOIZE
      case 'g':
        return memo_get(memo_index(take_line()));  // GET
      case 'h':
        return memo_get(take_le(1));  // BINGET
      case 'j':
        return memo_get(take_le(4));  // LONG_BINGET
      default: {
        const std::string_view name = opcode_name(op_);
        constexpr char hex[] = "0123456789abcdef";
        const std::string code = {'0', 'x', hex[op_ >> 4], hex[op_ & 15]};
        if (name.empty()) fail_at(op_at_, "unknown opcode " + code + ": not a pickle, or corrupt");
        fail_at(op_at_, "opcode " + std::string(name) + " (" + code + ") is not supported by this reader");
      }
    }
  }

  std::span<const std::byte> data_;
  std::string_view source_;
  const limits& limits_;
  std::size_t pos_ = 0, op_at_ = 0;
  std::uint8_t op_ = 0;
  object_graph graph_;
  std::vector<value*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, value*> memo_;
};

// Reads the pickle in `data`; `source` names it in messages ("model.pt:
// archive/data.pkl"). Trailing bytes after STOP are ignored, as Python does.
inline object_graph unpickle(std::span<const std::byte> data, std::string_view source, const limits& lim = {}) {
  return unpickler(data, source, lim).run();
}

}  // namespace glm4::io::pickle
