#include "fairwatch/detectors/state_codec.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>

namespace fairwatch::detectors {
namespace {

constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;

static_assert(sizeof(double) == 8 && std::numeric_limits<double>::is_iec559);
static_assert(std::is_trivially_copyable_v<Counts32> && sizeof(Counts32) == 8 &&
              offsetof(Counts32, applicants) == 0 && offsetof(Counts32, selected) == 4);
static_assert(std::is_trivially_copyable_v<Counts> && sizeof(Counts) == 16 &&
              offsetof(Counts, applicants) == 0 && offsetof(Counts, selected) == 8);

template <typename Unsigned>
void store_le(char* out, Unsigned value) {
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    out[i] = static_cast<char>(static_cast<unsigned char>(value >> (8 * i)));
  }
}

template <typename Unsigned>
Unsigned load_le(const char* in) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value |= static_cast<Unsigned>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return value;
}

// Element types with a fixed little-endian wire form made of `Word`s.
template <typename T>
struct Wire;
template <>
struct Wire<std::uint8_t> {
  using Word = std::uint8_t;
  static constexpr std::size_t kWords = 1;
  static void words(const std::uint8_t& v, Word* w) { w[0] = v; }
  static void from(const Word* w, std::uint8_t& v) { v = w[0]; }
};
template <>
struct Wire<std::uint32_t> {
  using Word = std::uint32_t;
  static constexpr std::size_t kWords = 1;
  static void words(const std::uint32_t& v, Word* w) { w[0] = v; }
  static void from(const Word* w, std::uint32_t& v) { v = w[0]; }
};
template <>
struct Wire<std::uint64_t> {
  using Word = std::uint64_t;
  static constexpr std::size_t kWords = 1;
  static void words(const std::uint64_t& v, Word* w) { w[0] = v; }
  static void from(const Word* w, std::uint64_t& v) { v = w[0]; }
};
template <>
struct Wire<std::int64_t> {
  using Word = std::uint64_t;
  static constexpr std::size_t kWords = 1;
  static void words(const std::int64_t& v, Word* w) { w[0] = static_cast<Word>(v); }
  static void from(const Word* w, std::int64_t& v) { v = static_cast<std::int64_t>(w[0]); }
};
template <>
struct Wire<double> {
  using Word = std::uint64_t;
  static constexpr std::size_t kWords = 1;
  static void words(const double& v, Word* w) { w[0] = std::bit_cast<Word>(v); }
  static void from(const Word* w, double& v) { v = std::bit_cast<double>(w[0]); }
};
template <>
struct Wire<Counts32> {
  using Word = std::uint32_t;
  static constexpr std::size_t kWords = 2;
  static void words(const Counts32& v, Word* w) {
    w[0] = v.applicants;
    w[1] = v.selected;
  }
  static void from(const Word* w, Counts32& v) { v = {w[0], w[1]}; }
};
template <>
struct Wire<Counts> {
  using Word = std::uint64_t;
  static constexpr std::size_t kWords = 2;
  static void words(const Counts& v, Word* w) {
    w[0] = v.applicants;
    w[1] = v.selected;
  }
  static void from(const Word* w, Counts& v) { v = {w[0], w[1]}; }
};

template <typename T>
constexpr std::size_t wire_bytes() {
  return Wire<T>::kWords * sizeof(typename Wire<T>::Word);
}

// On little-endian hosts the in-memory representation of every Wire type is
// its wire form (checked by the static_asserts above), so arrays are copied
// whole; elsewhere each word is stored byte by byte.
template <typename T>
void encode_elements(std::span<const T> values, char* out) {
  static_assert(sizeof(T) == wire_bytes<T>());
  if constexpr (kLittleEndianHost) {
    if (!values.empty()) std::memcpy(out, values.data(), values.size_bytes());
  } else {
    using W = Wire<T>;
    typename W::Word words[W::kWords];
    for (const T& value : values) {
      W::words(value, words);
      for (const auto word : words) {
        store_le(out, word);
        out += sizeof(word);
      }
    }
  }
}

template <typename T>
void decode_elements(const char* in, std::span<T> out) {
  if constexpr (kLittleEndianHost) {
    if (!out.empty()) std::memcpy(out.data(), in, out.size_bytes());
  } else {
    using W = Wire<T>;
    typename W::Word words[W::kWords];
    for (T& value : out) {
      for (auto& word : words) {
        word = load_le<typename W::Word>(in);
        in += sizeof(word);
      }
      W::from(words, value);
    }
  }
}

}  // namespace

// ---- StateWriter ------------------------------------------------------------

StateWriter::StateWriter(Sink& sink, std::size_t chunk_bytes)
    : sink_(&sink), chunk_bytes_(chunk_bytes) {
  bytes_.reserve(chunk_bytes);
}

char* StateWriter::grow(std::size_t bytes) {
  if (sink_ != nullptr && bytes_.size() + bytes > chunk_bytes_ && !bytes_.empty()) flush();
  const std::size_t start = bytes_.size();
  if (bytes_.capacity() - start < bytes) {
    bytes_.reserve(std::max(bytes_.capacity() * 2, start + bytes));
  }
  bytes_.resize(start + bytes);
  return bytes_.data() + start;
}

void StateWriter::flush() {
  if (sink_ == nullptr || bytes_.empty()) return;
  sink_->write(bytes_);
  flushed_ += bytes_.size();
  bytes_.clear();
}

void StateWriter::write_u8(std::uint8_t value) {
  *grow(1) = static_cast<char>(value);
}

void StateWriter::write_u32(std::uint32_t value) {
  store_le(grow(4), value);
}

void StateWriter::write_u64(std::uint64_t value) {
  store_le(grow(8), value);
}

void StateWriter::write_f64(double value) {
  write_u64(std::bit_cast<std::uint64_t>(value));
}

void StateWriter::write_string(std::string_view value) {
  write_u64(value.size());
  write_raw(value);
}

void StateWriter::write_raw(std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
}

#define FAIRWATCH_STATE_WRITER_ARRAY(T)                             \
  void StateWriter::write_array(std::span<const T> values) {        \
    write_u64(values.size());                                       \
    encode_elements(values, grow(values.size() * wire_bytes<T>())); \
  }
FAIRWATCH_STATE_WRITER_ARRAY(std::uint8_t)
FAIRWATCH_STATE_WRITER_ARRAY(std::uint32_t)
FAIRWATCH_STATE_WRITER_ARRAY(std::uint64_t)
FAIRWATCH_STATE_WRITER_ARRAY(std::int64_t)
FAIRWATCH_STATE_WRITER_ARRAY(double)
FAIRWATCH_STATE_WRITER_ARRAY(Counts32)
FAIRWATCH_STATE_WRITER_ARRAY(Counts)
#undef FAIRWATCH_STATE_WRITER_ARRAY

// ---- StateReader ------------------------------------------------------------

const char* StateReader::take(std::size_t n) {
  if (failed_ || n > remaining()) {
    failed_ = true;
    return nullptr;
  }
  const char* start = bytes_.data() + position_;
  position_ += n;
  return start;
}

bool StateReader::fail() {
  failed_ = true;
  return false;
}

bool StateReader::read_u8(std::uint8_t& value) {
  const char* in = take(1);
  if (in == nullptr) return false;
  value = static_cast<std::uint8_t>(*in);
  return true;
}

bool StateReader::read_bool(bool& value) {
  std::uint8_t byte = 0;
  if (!read_u8(byte)) return false;
  if (byte > 1) return fail();
  value = byte == 1;
  return true;
}

bool StateReader::read_u32(std::uint32_t& value) {
  const char* in = take(4);
  if (in == nullptr) return false;
  value = load_le<std::uint32_t>(in);
  return true;
}

bool StateReader::read_i32(std::int32_t& value) {
  std::uint32_t bits = 0;
  if (!read_u32(bits)) return false;
  value = static_cast<std::int32_t>(bits);
  return true;
}

bool StateReader::read_u64(std::uint64_t& value) {
  const char* in = take(8);
  if (in == nullptr) return false;
  value = load_le<std::uint64_t>(in);
  return true;
}

bool StateReader::read_i64(std::int64_t& value) {
  std::uint64_t bits = 0;
  if (!read_u64(bits)) return false;
  value = static_cast<std::int64_t>(bits);
  return true;
}

bool StateReader::read_f64(double& value) {
  std::uint64_t bits = 0;
  if (!read_u64(bits)) return false;
  value = std::bit_cast<double>(bits);
  return true;
}

bool StateReader::read_fitting_count(std::uint64_t& count, std::size_t element_bytes) {
  if (!read_u64(count)) return false;
  if (count > remaining() / element_bytes) return fail();
  return true;
}

bool StateReader::read_string(std::string& value) {
  std::uint64_t length = 0;
  if (!read_fitting_count(length, 1)) return false;
  const char* in = take(static_cast<std::size_t>(length));
  value.assign(in, static_cast<std::size_t>(length));
  return true;
}

template <typename T>
bool StateReader::read_exact_array(std::span<T> out, std::size_t element_bytes) {
  std::uint64_t count = 0;
  if (!read_fitting_count(count, element_bytes)) return false;
  if (count != out.size()) return fail();
  const char* in = take(out.size() * element_bytes);
  if (in == nullptr) return false;
  decode_elements(in, out);
  return true;
}

bool StateReader::read_array(std::span<std::uint8_t> out) {
  return read_exact_array(out, wire_bytes<std::uint8_t>());
}
bool StateReader::read_array(std::span<std::uint32_t> out) {
  return read_exact_array(out, wire_bytes<std::uint32_t>());
}
bool StateReader::read_array(std::span<std::uint64_t> out) {
  return read_exact_array(out, wire_bytes<std::uint64_t>());
}
bool StateReader::read_array(std::span<std::int64_t> out) {
  return read_exact_array(out, wire_bytes<std::int64_t>());
}
bool StateReader::read_array(std::span<double> out) {
  return read_exact_array(out, wire_bytes<double>());
}
bool StateReader::read_array(std::span<Counts32> out) {
  return read_exact_array(out, wire_bytes<Counts32>());
}
bool StateReader::read_array(std::span<Counts> out) {
  return read_exact_array(out, wire_bytes<Counts>());
}

bool StateReader::read_vector(std::vector<std::uint64_t>& out, std::uint64_t max_count) {
  std::uint64_t count = 0;
  if (!read_fitting_count(count, 8)) return false;
  if (count > max_count) return fail();
  out.resize(static_cast<std::size_t>(count));
  decode_elements(take(out.size() * 8), std::span<std::uint64_t>(out));
  return true;
}

bool StateReader::read_vector(std::vector<double>& out, std::uint64_t max_count) {
  std::uint64_t count = 0;
  if (!read_fitting_count(count, 8)) return false;
  if (count > max_count) return fail();
  out.resize(static_cast<std::size_t>(count));
  decode_elements(take(out.size() * 8), std::span<double>(out));
  return true;
}

bool StateReader::read_count(std::uint64_t& count, std::uint64_t max_count,
                             std::size_t min_element_bytes) {
  if (!read_fitting_count(count, min_element_bytes)) return false;
  if (count > max_count) return fail();
  return true;
}

bool StateReader::read_section(std::uint64_t length, StateReader& section) {
  if (length > remaining()) return fail();
  const char* in = take(static_cast<std::size_t>(length));
  if (in == nullptr) return false;
  section = StateReader(std::string_view(in, static_cast<std::size_t>(length)));
  return true;
}

}  // namespace fairwatch::detectors
