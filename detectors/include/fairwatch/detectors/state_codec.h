// StateWriter and StateReader: the binary codec detector state is persisted
// with (checkpoints). Pure: no I/O.
//
// Encoding: integers little-endian and fixed-width; doubles as their IEEE-754
// bit pattern in a u64 (NaN payloads and signed zeros survive); bool as one
// byte 0 or 1; strings and arrays as a u64 element count followed by the
// elements. Nothing is self-describing: a reader must ask for exactly what
// the writer wrote, in the same order.
//
// StateWriter owns the bytes it appends to, or streams them to a Sink in
// chunks (the sink, e.g. a file writer, lives outside detectors/, which
// does no I/O). StateReader reads bytes it does
// not own (the caller keeps them alive) and never reads past their end: a
// read that would (truncation), a length that could not fit in the remaining
// bytes (absurd length), or a value out of its domain makes the read return
// false and sets a sticky failed() flag; every later read then fails too. No
// exceptions, no undefined behaviour on any input. Both are
// thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/detectors/counts.h"

namespace fairwatch::detectors {

class StateWriter {
 public:
  // Receives a streaming writer's bytes, in order, a chunk at a time.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void write(std::string_view bytes) = 0;
  };

  // Keeps every byte in memory: see bytes() and release().
  StateWriter() = default;
  // Streams: whenever another write would take the buffer past chunk_bytes,
  // the buffered bytes go to `sink` first (one call per chunk, none per
  // element); flush() hands over the rest. REQUIRES: sink outlives the writer.
  explicit StateWriter(Sink& sink, std::size_t chunk_bytes = std::size_t{1} << 20);

  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void write_u8(std::uint8_t value);
  void write_bool(bool value) { write_u8(value ? 1 : 0); }
  void write_u32(std::uint32_t value);
  void write_i32(std::int32_t value) { write_u32(static_cast<std::uint32_t>(value)); }
  void write_u64(std::uint64_t value);
  void write_i64(std::int64_t value) { write_u64(static_cast<std::uint64_t>(value)); }
  void write_f64(double value);
  // u64 length, then the bytes.
  void write_string(std::string_view value);
  // u64 element count, then the elements. Bulk copies on little-endian hosts.
  void write_array(std::span<const std::uint8_t> values);
  void write_array(std::span<const std::uint32_t> values);
  void write_array(std::span<const std::uint64_t> values);
  void write_array(std::span<const std::int64_t> values);
  void write_array(std::span<const double> values);
  // Each element as two u32 (applicants, selected).
  void write_array(std::span<const Counts32> values);
  // Each element as two u64 (applicants, selected).
  void write_array(std::span<const Counts> values);
  // Appends bytes as they are (no length prefix).
  void write_raw(std::string_view bytes);

  // Hands the buffered bytes to the sink, if there is one.
  void flush();

  // Bytes written so far, flushed ones included.
  std::size_t size() const { return flushed_ + bytes_.size(); }
  // The bytes not yet flushed: all of them without a sink.
  const std::string& bytes() const { return bytes_; }
  // Moves the unflushed bytes out; the writer's buffer is empty afterwards.
  std::string release() { return std::move(bytes_); }

 private:
  char* grow(std::size_t bytes);  // appends `bytes` uninitialized bytes, returns their start

  Sink* sink_ = nullptr;
  std::size_t chunk_bytes_ = 0;
  std::size_t flushed_ = 0;
  std::string bytes_;
};

class StateReader {
 public:
  // REQUIRES: bytes outlive the reader.
  explicit StateReader(std::string_view bytes) : bytes_(bytes) {}

  bool read_u8(std::uint8_t& value);
  bool read_bool(bool& value);  // fails on a byte other than 0 or 1
  bool read_u32(std::uint32_t& value);
  bool read_i32(std::int32_t& value);
  bool read_u64(std::uint64_t& value);
  bool read_i64(std::int64_t& value);
  bool read_f64(double& value);
  bool read_string(std::string& value);

  // Arrays whose element count must equal out.size() (the reader's shape is
  // known). Fails on any other count.
  bool read_array(std::span<std::uint8_t> out);
  bool read_array(std::span<std::uint32_t> out);
  bool read_array(std::span<std::uint64_t> out);
  bool read_array(std::span<std::int64_t> out);
  bool read_array(std::span<double> out);
  bool read_array(std::span<Counts32> out);
  bool read_array(std::span<Counts> out);
  // Arrays of any count up to max_count; `out` is resized to it.
  bool read_vector(std::vector<std::uint64_t>& out, std::uint64_t max_count);
  bool read_vector(std::vector<double>& out, std::uint64_t max_count);

  // Reads a u64 element count for elements the caller then reads one by one:
  // fails when it exceeds max_count or when count × min_element_bytes exceeds
  // the remaining bytes, so a corrupt count never drives a huge allocation.
  // REQUIRES: min_element_bytes > 0.
  bool read_count(std::uint64_t& count, std::uint64_t max_count, std::size_t min_element_bytes);
  // Splits the next `length` bytes off as their own reader (e.g. a section
  // that must be consumed exactly). Fails when fewer bytes remain.
  bool read_section(std::uint64_t length, StateReader& section);

  // Marks the reader failed (for decoders that find a value out of range).
  // Always returns false, so decoders can `return reader.fail();`.
  bool fail();

  bool failed() const { return failed_; }
  // Where the first failure happened (bytes from the start), or the current position.
  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }
  // True when every byte was read and nothing failed.
  bool at_end() const { return !failed_ && position_ == bytes_.size(); }

 private:
  // The next n bytes, or nullptr (and failed) when fewer remain.
  const char* take(std::size_t n);
  // Reads an element count that must fit in the remaining bytes at element_bytes each.
  bool read_fitting_count(std::uint64_t& count, std::size_t element_bytes);
  template <typename T>
  bool read_exact_array(std::span<T> out, std::size_t element_bytes);

  std::string_view bytes_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

}  // namespace fairwatch::detectors
