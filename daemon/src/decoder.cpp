// The event decoder: one validating simdjson ondemand pass over the document
// that also picks out the values at the configured JSON pointers, then the
// field rules in precedence order.
//
// Why one pass rather than DOM or ondemand at_pointer (bench/decoder_bench.cpp):
// ondemand skips what it is not asked for, so rejecting every invalid document
// means visiting every value anyway; doing so once while matching the pointers
// costs about what a DOM parse plus lookups does, and unlike DOM it keeps the
// raw JSON text of numbers (integer ids, exact epoch seconds, attribute values
// matched by their text). at_pointer rewinds the document for every pointer.
#include "fairwatch/daemon/decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fairwatch::daemon {
namespace {

namespace ondemand = simdjson::ondemand;

constexpr std::size_t kInitialCapacity = std::size_t{64} * 1024;
constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();

// 9999-12-31T23:59:59.999Z, the last accepted event time.
constexpr std::int64_t kMaxEventTimeMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::sys_days{std::chrono::year{10000} / 1 / 1}.time_since_epoch())
        .count() -
    1;

// The JSON type of the value found at a pointer.
enum class Kind : std::uint8_t { absent, null, boolean, number, string, object, array };

// A value found at a pointer. `text` is the unescaped string for strings and
// the JSON text for numbers and booleans; empty otherwise.
struct Capture {
  Kind kind = Kind::absent;
  std::string_view text;
};

// One reference token of the configured pointers. The pointers form a tree
// whose root (node 0) is the whole document.
struct Node {
  std::string token;        // unescaped ("~1" → "/", "~0" → "~")
  std::int64_t index = -1;  // the token as an array index, or -1
  std::vector<std::uint32_t> children;
};

// Splits an RFC 6901 pointer into unescaped tokens; false if malformed.
bool split_pointer(std::string_view pointer, std::vector<std::string>& tokens) {
  tokens.clear();
  if (pointer.empty()) return true;
  if (pointer.front() != '/') return false;
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
        return false;
      }
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return true;
}

// "0" or a digit string without leading zero, as RFC 6901 array indices.
std::int64_t array_index(std::string_view token) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token.front() == '0')) {
    return -1;
  }
  std::int64_t value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// JSON number grammar (RFC 8259), any magnitude.
bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  if (i == n) return false;
  if (text[i] == '0') {
    ++i;
  } else if (is_digit(text[i])) {
    while (i < n && is_digit(text[i])) ++i;
  } else {
    return false;
  }
  if (i < n && text[i] == '.') {
    const std::size_t first = ++i;
    while (i < n && is_digit(text[i])) ++i;
    if (i == first) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    const std::size_t first = i;
    while (i < n && is_digit(text[i])) ++i;
    if (i == first) return false;
  }
  return i == n;
}

// REQUIRES: is_json_number(text).
bool is_json_integer(std::string_view text) {
  return text.find_first_of(".eE") == std::string_view::npos;
}

std::string_view trim_trailing_whitespace(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// The kind of a scalar token other than a string; absent if it is not one.
// REQUIRES: !token.empty().
Kind classify_atom(std::string_view token) {
  switch (token.front()) {
    case 't':
      return token == "true" ? Kind::boolean : Kind::absent;
    case 'f':
      return token == "false" ? Kind::boolean : Kind::absent;
    case 'n':
      return token == "null" ? Kind::null : Kind::absent;
    default:
      return is_json_number(token) ? Kind::number : Kind::absent;
  }
}

// Epoch seconds written as a JSON number → milliseconds, computed exactly from
// the decimal text and truncated. nullopt when negative or far out of range.
// REQUIRES: is_json_number(text).
std::optional<std::int64_t> epoch_seconds_to_ms(std::string_view text) {
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::int64_t exponent = 0;
  if (const std::size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    const bool negative_exponent = digits.front() == '-';
    if (digits.front() == '-' || digits.front() == '+') digits.remove_prefix(1);
    for (const char c : digits)
      exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1000000);
    if (negative_exponent) exponent = -exponent;
    text = text.substr(0, e);
  }
  const std::size_t dot = text.find('.');
  const std::int64_t integer_digits =
      static_cast<std::int64_t>(dot == std::string_view::npos ? text.size() : dot);
  // Digits whose place value is at least a millisecond.
  const std::int64_t kept = integer_digits + exponent + 3;
  constexpr std::int64_t kLimit = std::int64_t{1} << 56;
  std::int64_t ms = 0;
  std::int64_t position = 0;
  bool nonzero = false;
  for (const char c : text) {
    if (c == '.') continue;
    nonzero = nonzero || c != '0';
    if (position++ < kept) {
      ms = ms * 10 + (c - '0');
      if (ms > kLimit) return std::nullopt;
    }
  }
  for (; ms != 0 && position < kept; ++position) {
    ms *= 10;
    if (ms > kLimit) return std::nullopt;
  }
  if (negative && nonzero) return std::nullopt;
  return ms;
}

// Finds strings without allocating: a linear scan for short lists, a hash
// map of views for long ones (bench/decoder_bench.cpp, BM_Lookup*). Indices
// follow insertion order; a repeated value keeps its first index. The strings
// viewed must outlive the index.
class StringIndex {
 public:
  void add(std::string_view value) {
    values_.push_back(value);
    if (values_.size() <= kLinearMax) return;
    if (map_.empty()) {
      for (std::size_t i = 0; i < values_.size(); ++i) map_.emplace(values_[i], i);
    } else {
      map_.emplace(value, values_.size() - 1);
    }
  }
  bool empty() const { return values_.empty(); }
  std::size_t size() const { return values_.size(); }

  // The index of `value` in insertion order, or kNotFound.
  std::size_t find(std::string_view value) const {
    if (values_.size() <= kLinearMax) {
      for (std::size_t i = 0; i < values_.size(); ++i) {
        if (values_[i] == value) return i;
      }
      return kNotFound;
    }
    const auto it = map_.find(value);
    return it == map_.end() ? kNotFound : it->second;
  }

 private:
  static constexpr std::size_t kLinearMax = 16;
  std::vector<std::string_view> values_;
  std::unordered_map<std::string_view, std::size_t> map_;
};

StringIndex make_index(const std::vector<std::string>& values) {
  StringIndex index;
  for (const std::string& value : values) index.add(value);
  return index;
}

DecodeResult reject(RejectReason reason, std::string_view field) {
  return DecodeResult{false, reason, field};
}

// A required string field: nullopt when `value` is a non-empty string.
std::optional<RejectReason> check_required_string(const Capture& value) {
  switch (value.kind) {
    case Kind::absent:
    case Kind::null:
      return RejectReason::missing_field;
    case Kind::string:
      if (value.text.empty()) return RejectReason::missing_field;
      return std::nullopt;
    default:
      return RejectReason::wrong_type;
  }
}

}  // namespace

struct Decoder::Impl {
  explicit Impl(const config::Config& config);

  DecodeResult decode(std::string_view bytes, Decision& out);

  std::uint32_t add_pointer(std::string_view pointer);
  std::uint32_t find_child(std::uint32_t node, std::string_view key, std::size_t& next);
  std::uint32_t find_child(std::uint32_t node, std::int64_t index) const;
  const Capture& at(std::uint32_t node) const {
    static constexpr Capture kAbsent{};
    return node == kNoNode ? kAbsent : captures[node];
  }
  bool load(std::string_view bytes);
  bool walk_value(ondemand::value& value, std::uint32_t node, int depth);
  bool walk_object(ondemand::object object, std::uint32_t node, int depth);
  bool walk_array(ondemand::array array, std::uint32_t node, int depth);

  const config::Config& config;
  std::vector<Node> nodes;
  std::vector<Capture> captures;  // per node, for the current event
  std::uint32_t id_node = kNoNode;
  std::uint32_t time_node = kNoNode;
  std::uint32_t system_node = kNoNode;
  std::uint32_t stage_node = kNoNode;
  std::uint32_t decision_node = kNoNode;
  std::uint32_t score_node = kNoNode;
  std::uint32_t stratum_node = kNoNode;
  std::vector<std::uint32_t> attribute_nodes;

  StringIndex decisions;  // favourable values first, then unfavourable ones
  std::size_t favourable_count = 0;
  StringIndex systems;
  StringIndex stages;
  std::vector<StringIndex> groups;  // per attribute

  ondemand::parser parser{Decoder::kMaxEventBytes};
  std::unique_ptr<char[]> buffer;  // the event, followed by SIMDJSON_PADDING bytes
  std::size_t buffer_capacity = 0;
};

Decoder::Impl::Impl(const config::Config& config) : config(config) {
  nodes.emplace_back();  // the document
  const config::FieldPointers& fields = config.events.fields;
  id_node = add_pointer(fields.id);
  time_node = add_pointer(fields.time);
  system_node = add_pointer(fields.system);
  stage_node = add_pointer(fields.stage);
  decision_node = add_pointer(fields.decision);
  if (!fields.score.empty()) score_node = add_pointer(fields.score);
  if (!fields.stratum.empty()) stratum_node = add_pointer(fields.stratum);
  for (const config::AttributeConfig& attribute : config.attributes) {
    attribute_nodes.push_back(add_pointer(attribute.field));
    groups.push_back(make_index(attribute.groups));
  }
  captures.resize(nodes.size());

  for (const std::string& value : config.events.favourable) decisions.add(value);
  favourable_count = decisions.size();
  for (const std::string& value : config.events.unfavourable) decisions.add(value);
  systems = make_index(config.events.systems);
  stages = make_index(config.events.stages);

  buffer_capacity = kInitialCapacity + simdjson::SIMDJSON_PADDING;
  buffer = std::make_unique_for_overwrite<char[]>(buffer_capacity);
  // On failure the capacity stays 0 and load() retries on every event.
  [[maybe_unused]] const simdjson::error_code error =
      parser.allocate(kInitialCapacity, Decoder::kMaxDepth + 1);
}

std::uint32_t Decoder::Impl::add_pointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (!split_pointer(pointer, tokens)) return kNoNode;  // matches nothing
  std::uint32_t node = 0;
  for (std::string& token : tokens) {
    std::uint32_t child = kNoNode;
    for (const std::uint32_t candidate : nodes[node].children) {
      if (nodes[candidate].token == token) child = candidate;
    }
    if (child == kNoNode) {
      child = static_cast<std::uint32_t>(nodes.size());
      Node added;
      added.index = array_index(token);
      added.token = std::move(token);
      nodes.push_back(std::move(added));
      nodes[node].children.push_back(child);
    }
    node = child;
  }
  return node;
}

// REQUIRES: node != kNoNode.
// Events from one source list their members in one order, so the children
// are kept in the order the last event showed them: a match is swapped to
// position `next`, which then advances; usually the first comparison matches.
// Children before `next` were matched earlier in this object, so a key equal
// to one of them is a repeated key, which matches only the first time.
std::uint32_t Decoder::Impl::find_child(std::uint32_t node, std::string_view key,
                                        std::size_t& next) {
  std::vector<std::uint32_t>& children = nodes[node].children;
  for (std::size_t at = next; at < children.size(); ++at) {
    const std::string& token = nodes[children[at]].token;
    if (token.size() == key.size() && std::memcmp(token.data(), key.data(), key.size()) == 0) {
      std::swap(children[next], children[at]);
      return children[next++];
    }
  }
  return kNoNode;
}

std::uint32_t Decoder::Impl::find_child(std::uint32_t node, std::int64_t index) const {
  if (node == kNoNode) return kNoNode;
  for (const std::uint32_t child : nodes[node].children) {
    if (nodes[child].index == index) return child;
  }
  return kNoNode;
}

bool Decoder::Impl::load(std::string_view bytes) {
  const std::size_t needed = bytes.size() + simdjson::SIMDJSON_PADDING;
  if (needed > buffer_capacity) {
    buffer_capacity = std::min(std::max(needed, 2 * buffer_capacity),
                               Decoder::kMaxEventBytes + simdjson::SIMDJSON_PADDING);
    buffer = std::make_unique_for_overwrite<char[]>(buffer_capacity);
  }
  if (bytes.size() > parser.capacity()) {
    const std::size_t capacity =
        std::min(std::max(bytes.size(), 2 * parser.capacity()), Decoder::kMaxEventBytes);
    if (parser.allocate(capacity, Decoder::kMaxDepth + 1) != simdjson::SUCCESS) return false;
  }
  std::memcpy(buffer.get(), bytes.data(), bytes.size());
  std::memset(buffer.get() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);
  return true;
}

// `depth`: the nesting depth of the container holding `value`.
bool Decoder::Impl::walk_value(ondemand::value& value, std::uint32_t node, int depth) {
  std::string_view token = value.raw_json_token();
  if (token.empty()) return false;
  Capture* capture = node == kNoNode ? nullptr : &captures[node];
  switch (token.front()) {
    case '"': {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return false;
      if (capture != nullptr) *capture = {Kind::string, text};
      return true;
    }
    case '{': {
      ondemand::object object;
      if (depth >= Decoder::kMaxDepth || value.get_object().get(object) != simdjson::SUCCESS) {
        return false;
      }
      if (capture != nullptr) *capture = {Kind::object, {}};
      return walk_object(object, node, depth + 1);
    }
    case '[': {
      ondemand::array array;
      if (depth >= Decoder::kMaxDepth || value.get_array().get(array) != simdjson::SUCCESS) {
        return false;
      }
      if (capture != nullptr) *capture = {Kind::array, {}};
      return walk_array(array, node, depth + 1);
    }
    default: {
      // Numbers and literals are validated here, by their text: ondemand only
      // checks what it is asked to convert.
      token = trim_trailing_whitespace(token);
      const Kind kind = classify_atom(token);
      if (kind == Kind::absent) return false;
      if (capture != nullptr) *capture = {kind, kind == Kind::null ? std::string_view{} : token};
      return true;
    }
  }
}

bool Decoder::Impl::walk_object(ondemand::object object, std::uint32_t node, int depth) {
  std::size_t next = 0;
  for (auto field_or_error : object) {
    // References, not copies: copying simdjson's iterators here costs
    // store-forwarding stalls worth a third of the decode time.
    if (field_or_error.error() != simdjson::SUCCESS) return false;
    ondemand::field& field = field_or_error.value_unsafe();
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    std::uint32_t child = kNoNode;
    if (node != kNoNode) {
      // The common case inline: the member expected next (see find_child).
      const std::vector<std::uint32_t>& children = nodes[node].children;
      if (next < children.size() && nodes[children[next]].token == key) {
        child = children[next++];
      } else {
        child = find_child(node, key, next);
      }
    }
    if (!walk_value(field.value(), child, depth)) return false;
  }
  return true;
}

bool Decoder::Impl::walk_array(ondemand::array array, std::uint32_t node, int depth) {
  std::int64_t index = 0;
  for (auto element_or_error : array) {
    if (element_or_error.error() != simdjson::SUCCESS) return false;
    ondemand::value& element = element_or_error.value_unsafe();
    if (!walk_value(element, find_child(node, index++), depth)) return false;
  }
  return true;
}

DecodeResult Decoder::Impl::decode(std::string_view bytes, Decision& out) {
  if (bytes.size() > Decoder::kMaxEventBytes) return reject(RejectReason::too_large, "");
  if (!load(bytes)) return reject(RejectReason::not_json, "");

  ondemand::document document;
  ondemand::object root;
  if (parser.iterate(buffer.get(), bytes.size(), buffer_capacity).get(document) !=
          simdjson::SUCCESS ||
      document.get_object().get(root) != simdjson::SUCCESS) {
    return reject(RejectReason::not_json, "");
  }
  std::fill(captures.begin(), captures.end(), Capture{});
  captures[0] = {Kind::object, {}};
  if (!walk_object(root, 0, 1)) return reject(RejectReason::not_json, "");
  // After the top-level object only whitespace may follow.
  const char* trailing = nullptr;
  if (document.current_location().get(trailing) == simdjson::SUCCESS) {
    return reject(RejectReason::not_json, "");
  }

  // id: a non-empty string or an integer, kept as its JSON text.
  const Capture& id = at(id_node);
  if (id.kind == Kind::number) {
    if (!is_json_integer(id.text)) return reject(RejectReason::wrong_type, "id");
  } else if (const auto error = check_required_string(id)) {
    return reject(*error, "id");
  }
  out.event_id = id.text;

  // time: RFC 3339 string or epoch seconds.
  const Capture& time = at(time_node);
  std::optional<std::int64_t> time_ms;
  if (time.kind == Kind::number) {
    time_ms = epoch_seconds_to_ms(time.text);
  } else if (const auto error = check_required_string(time)) {
    return reject(*error, "time");
  } else {
    time_ms = parse_rfc3339_ms(time.text);
  }
  if (!time_ms || *time_ms < 0 || *time_ms > kMaxEventTimeMs) {
    return reject(RejectReason::bad_timestamp, "time");
  }
  out.event_time_ms = *time_ms;

  const Capture& system = at(system_node);
  if (const auto error = check_required_string(system)) return reject(*error, "system");
  if (!systems.empty() && systems.find(system.text) == kNotFound) {
    return reject(RejectReason::unknown_system, "system");
  }
  out.system = system.text;

  const Capture& stage = at(stage_node);
  if (const auto error = check_required_string(stage)) return reject(*error, "stage");
  if (!stages.empty() && stages.find(stage.text) == kNotFound) {
    return reject(RejectReason::unknown_stage, "stage");
  }
  out.stage = stage.text;

  // decision: any present value that is not a mapped string is unmapped.
  const Capture& decision = at(decision_node);
  if (decision.kind == Kind::absent || decision.kind == Kind::null ||
      (decision.kind == Kind::string && decision.text.empty())) {
    return reject(RejectReason::missing_field, "decision");
  }
  const std::size_t mapped =
      decision.kind == Kind::string ? decisions.find(decision.text) : kNotFound;
  if (mapped == kNotFound) return reject(RejectReason::unmapped_decision, "decision");
  out.favourable = mapped < favourable_count;

  // score: optional; a finite number within [scores.min, scores.max].
  const Capture& score = at(score_node);
  out.score.reset();
  if (score.kind != Kind::absent && score.kind != Kind::null) {
    double value = 0;
    if (score.kind != Kind::number ||
        std::from_chars(score.text.data(), score.text.data() + score.text.size(), value).ec !=
            std::errc{} ||
        !std::isfinite(value) || value < config.scores.min || value > config.scores.max) {
      return reject(RejectReason::bad_score, "score");
    }
    out.score = value;
  }

  // stratum: optional; a string or an integer, kept as its JSON text.
  const Capture& stratum = at(stratum_node);
  switch (stratum.kind) {
    case Kind::absent:
    case Kind::null:
      out.stratum = {};
      break;
    case Kind::string:
      out.stratum = stratum.text;
      break;
    case Kind::number:
      if (!is_json_integer(stratum.text)) return reject(RejectReason::wrong_type, "stratum");
      out.stratum = stratum.text;
      break;
    default:
      return reject(RejectReason::wrong_type, "stratum");
  }

  // Attributes: scalars are matched by their text; anything else is unknown.
  out.groups.resize(attribute_nodes.size());
  for (std::size_t i = 0; i < attribute_nodes.size(); ++i) {
    const Capture& value = at(attribute_nodes[i]);
    std::size_t group = kNotFound;
    if (value.kind == Kind::string || value.kind == Kind::number || value.kind == Kind::boolean) {
      group = groups[i].find(value.text);
    }
    out.groups[i] =
        static_cast<GroupIndex>(group == kNotFound ? config.attributes[i].groups.size() : group);
  }
  return DecodeResult{true, RejectReason::not_json, ""};
}

Decoder::Decoder(const config::Config& config) : impl_(std::make_unique<Impl>(config)) {}

Decoder::~Decoder() = default;

DecodeResult Decoder::decode(std::string_view bytes, Decision& out) {
  return impl_->decode(bytes, out);
}

}  // namespace fairwatch::daemon
