#include "fairwatch/daemon/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "fairwatch/daemon/score_accumulator.h"
#include "fairwatch/detectors/hash_index.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

constexpr std::string_view kMagic = "FWCKPT01";
constexpr std::size_t kCrcBytes = 4;

// ---- The state shape --------------------------------------------------------

// Names are written bare when they cannot be mistaken for the description's
// punctuation, quoted with escapes otherwise, so the text is canonical: two
// different shapes never share a description.
bool is_bare(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                       u >= 0x80 ||
                       std::string_view("_-+<>=./:~").find(c) != std::string_view::npos;
    if (!plain) return false;
  }
  return true;
}

void append_name(std::string& out, std::string_view name) {
  if (is_bare(name)) {
    out += name;
    return;
  }
  out += '"';
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

// "30d", "1h", "90s": the largest unit that divides the length.
std::string duration_text(std::int64_t seconds) {
  static constexpr std::pair<std::int64_t, char> kUnits[] = {
      {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& [unit, suffix] : kUnits) {
    if (seconds != 0 && seconds % unit == 0) return std::to_string(seconds / unit) + suffix;
  }
  return std::to_string(seconds) + 's';
}

// The shortest text that reads back as the same double.
std::string number_text(double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::string("?");
}

// "key: value" lines → (key, value) pairs in order.
std::vector<std::pair<std::string_view, std::string_view>> shape_lines(std::string_view text) {
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      lines.emplace_back(line, std::string_view());
    } else {
      lines.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
  }
  return lines;
}

std::vector<std::string_view> split_items(std::string_view value) {
  std::vector<std::string_view> items;
  for (;;) {
    const std::size_t end = value.find("; ");
    items.push_back(value.substr(0, end));
    if (end == std::string_view::npos) return items;
    value = value.substr(end + 2);
  }
}

// ---- File I/O -----------------------------------------------------------------

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::string failure(std::string_view what, const std::string& path, int error) {
  return std::string(what) + " " + path + ": " + errno_text(error);
}

// fsyncs a directory. File systems that cannot sync directories (EINVAL) are
// accepted: there is nothing more to do on them.
std::string sync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return failure("opening directory", path, errno);
  int error = 0;
  if (::fsync(fd) != 0 && errno != EINVAL) error = errno;
  ::close(fd);
  return error == 0 ? std::string() : failure("syncing directory", path, error);
}

std::string parent_of(const std::filesystem::path& path) {
  const std::filesystem::path parent = path.parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// mkdir -p, syncing each new directory's parent so the new entries are durable.
std::string make_directories(const std::string& directory) {
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path path(directory); !path.empty(); path = path.parent_path()) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
      if (!S_ISDIR(info.st_mode)) return failure("creating directory", directory, ENOTDIR);
      break;
    }
    if (errno != ENOENT) return failure("checking directory", path.string(), errno);
    missing.push_back(path);
    if (path == path.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0) {
      if (errno == EEXIST) continue;
      return failure("creating directory", it->string(), errno);
    }
    if (std::string error = sync_directory(parent_of(*it)); !error.empty()) return error;
  }
  return {};
}

std::string write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return failure("writing", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// The whole file, or an error message; `missing` is set when it does not exist.
std::string read_file(const std::string& path, std::string& contents, bool& missing) {
  missing = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    return failure("opening", path, errno);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return failure("reading", path, error);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return "reading " + path + ": not a regular file";
  }
  // Sized from fstat, but read to the end whatever the size turns out to be.
  contents.assign(static_cast<std::size_t>(info.st_size) + 1, '\0');
  std::size_t length = 0;
  for (;;) {
    if (length == contents.size()) contents.resize(contents.size() * 2);
    const ssize_t got = ::read(fd, contents.data() + length, contents.size() - length);
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return failure("reading", path, error);
    }
    if (got == 0) break;
    length += static_cast<std::size_t>(got);
  }
  ::close(fd);
  contents.resize(length);
  return {};
}

using Crc32Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Crc32Tables make_crc32_tables() {
  Crc32Tables tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    tables[0][i] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t i = 0; i < 256; ++i) {
      tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][tables[k - 1][i] & 0xff];
    }
  }
  return tables;
}

constexpr Crc32Tables kCrc32Tables = make_crc32_tables();

// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and final
// xor 0xFFFFFFFF; the CRC of zlib, PNG and boost::crc_32_type), eight bytes
// per step ("slicing-by-8"): boost::crc_32_type goes a byte at a time, about
// 250 MB/s here, which made it most of a checkpoint's cost.
class Crc32 {
 public:
  void update(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::uint32_t crc = state_;
    for (; n >= 8; p += 8, n -= 8) {
      const std::uint32_t low = load32(p) ^ crc;
      const std::uint32_t high = load32(p + 4);
      crc = kCrc32Tables[7][low & 0xff] ^ kCrc32Tables[6][(low >> 8) & 0xff] ^
            kCrc32Tables[5][(low >> 16) & 0xff] ^ kCrc32Tables[4][low >> 24] ^
            kCrc32Tables[3][high & 0xff] ^ kCrc32Tables[2][(high >> 8) & 0xff] ^
            kCrc32Tables[1][(high >> 16) & 0xff] ^ kCrc32Tables[0][high >> 24];
    }
    for (; n > 0; ++p, --n) crc = (crc >> 8) ^ kCrc32Tables[0][(crc ^ *p) & 0xff];
    state_ = crc;
  }
  std::uint32_t value() const { return state_ ^ 0xffffffffu; }

 private:
  static std::uint32_t load32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  }

  std::uint32_t state_ = 0xffffffffu;
};

std::uint32_t crc32_of(std::string_view bytes) {
  Crc32 crc;
  crc.update(bytes);
  return crc.value();
}

std::string crc_bytes(std::uint32_t crc) {
  std::string bytes(kCrcBytes, '\0');
  for (std::size_t i = 0; i < kCrcBytes; ++i) bytes[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return bytes;
}

// Streams checkpoint bytes to a file descriptor, checksumming them on the
// way; the first write error is kept and later chunks are dropped.
class FileSink final : public detectors::StateWriter::Sink {
 public:
  FileSink(int fd, const std::string& path) : fd_(fd), path_(path) {}
  void write(std::string_view bytes) override {
    crc_.update(bytes);
    if (error_.empty()) error_ = write_all(fd_, bytes, path_);
  }
  std::uint32_t crc() const { return crc_.value(); }
  const std::string& error() const { return error_; }

 private:
  int fd_;
  const std::string& path_;
  Crc32 crc_;
  std::string error_;
};

CheckpointLoadResult corrupt(std::string detail) {
  CheckpointLoadResult result;
  result.status = CheckpointLoad::corrupt;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

std::string state_shape_description(const config::Config& config) {
  std::string text = "attributes: ";
  for (std::size_t a = 0; a < config.attributes.size(); ++a) {
    const config::AttributeConfig& attribute = config.attributes[a];
    if (a > 0) text += "; ";
    append_name(text, attribute.name);
    text += " [";
    for (std::size_t g = 0; g < attribute.groups.size(); ++g) {
      if (g > 0) text += ", ";
      append_name(text, attribute.groups[g]);
    }
    text += ']';
  }
  text += "\nattribute fields: ";
  for (std::size_t a = 0; a < config.attributes.size(); ++a) {
    if (a > 0) text += "; ";
    append_name(text, config.attributes[a].name);
    text += ' ';
    append_name(text, config.attributes[a].field);
  }
  text += "\nintersections: ";
  if (config.intersections.empty()) text += "none";
  for (std::size_t i = 0; i < config.intersections.size(); ++i) {
    if (i > 0) text += "; ";
    for (std::size_t c = 0; c < config.intersections[i].size(); ++c) {
      if (c > 0) text += '*';
      append_name(text, config.intersections[i][c]);
    }
  }
  text += "\nwindows: ";
  for (std::size_t w = 0; w < config.windows.size(); ++w) {
    if (w > 0) text += ", ";
    text += duration_text(config.windows[w].length_seconds);
  }
  text += "\nstratum field: ";
  if (config.events.fields.stratum.empty()) {
    text += "none";
  } else {
    append_name(text, config.events.fields.stratum);
  }
  text += "\nscore grid: " + std::to_string(config.scores.bins) + " bins on [" +
          number_text(config.scores.min) + ", " + number_text(config.scores.max) + "]";
  text += "\nring buckets: " + std::to_string(Engine::kWindowBuckets) + " per window, " +
          std::to_string(Engine::kStratumBuckets) + " per stratum of the plain attributes";
  text += "\nscore quantiles: ";
  for (std::size_t q = 0; q < ScoreAccumulator::kProbabilities.size(); ++q) {
    if (q > 0) text += ", ";
    text += number_text(ScoreAccumulator::kProbabilities[q]);
  }
  return text;
}

std::uint64_t state_shape_fingerprint(const config::Config& config) {
  return detectors::stable_hash(state_shape_description(config));
}

std::string describe_state_shape_change(std::string_view saved, std::string_view current) {
  const auto saved_lines = shape_lines(saved);
  const auto current_lines = shape_lines(current);
  const auto value_of = [](const auto& lines, std::string_view key) -> std::string_view {
    for (const auto& [k, v] : lines) {
      if (k == key) return v;
    }
    return "(none)";
  };
  std::string detail;
  const auto describe = [&](std::string_view key, std::string_view before, std::string_view after) {
    if (before == after) return;
    if (!detail.empty()) detail += "; ";
    detail += key;
    detail += ": ";
    const auto before_items = split_items(before);
    const auto after_items = split_items(after);
    if (before_items.size() != after_items.size()) {
      detail += std::string(before) + " → " + std::string(after);
      return;
    }
    bool first = true;
    for (std::size_t i = 0; i < before_items.size(); ++i) {
      if (before_items[i] == after_items[i]) continue;
      if (!first) detail += " and ";
      first = false;
      detail += std::string(before_items[i]) + " → " + std::string(after_items[i]);
    }
  };
  for (const auto& [key, value] : current_lines) describe(key, value_of(saved_lines, key), value);
  for (const auto& [key, value] : saved_lines) {
    if (value_of(current_lines, key) == "(none)") describe(key, value, "(none)");
  }
  return detail;
}

// ---- Format -------------------------------------------------------------------
//
// magic "FWCKPT01"; u32 format version; u64 state shape fingerprint; string
// state shape description; string topic; u64 partition count and per
// partition i32 partition, i64 next offset; (version 2) u64 alert series
// count and per series u8 kind, strings system, stage, attribute, group,
// window, u8 phase, u8 severity, i64 since, i64 firing since, (version 3)
// i64 last evidence; (version 3) string sequential monitor state, string
// drift monitor state; the engine state
// (Engine::save_state), up to the last 4 bytes; u32 CRC-32 of every byte
// before it.
// Integers little-endian (detectors/state_codec.h).

namespace {

constexpr std::uint32_t kFirstFormatVersion = 1;  // no alert state
constexpr std::uint32_t kAlertFormatVersion = 2;  // alert state without evidence times
// Bytes of the smallest encoded alert series: kind, 5 empty strings, phase,
// severity, two times.
constexpr std::size_t kMinAlertSeriesBytes = 1 + 5 * 8 + 1 + 1 + 8 + 8;

void write_alerts(detectors::StateWriter& writer, const std::vector<SavedAlertSeries>& alerts) {
  // Format version 3.
  writer.write_u64(alerts.size());
  for (const SavedAlertSeries& series : alerts) {
    writer.write_u8(static_cast<std::uint8_t>(series.labels.kind));
    writer.write_string(series.labels.system);
    writer.write_string(series.labels.stage);
    writer.write_string(series.labels.attribute);
    writer.write_string(series.labels.group);
    writer.write_string(series.labels.window);
    writer.write_u8(static_cast<std::uint8_t>(series.state.phase()));
    writer.write_u8(static_cast<std::uint8_t>(series.state.severity()));
    writer.write_i64(series.state.since_ms());
    writer.write_i64(series.state.firing_since_ms());
    writer.write_i64(series.last_evidence_ms);
  }
}

bool read_alerts(detectors::StateReader& reader, std::uint32_t version,
                 std::vector<SavedAlertSeries>& alerts) {
  std::uint64_t count = 0;
  if (!reader.read_count(count, std::numeric_limits<std::uint32_t>::max(), kMinAlertSeriesBytes)) {
    return false;
  }
  alerts.resize(static_cast<std::size_t>(count));
  for (SavedAlertSeries& series : alerts) {
    std::uint8_t kind = 0;
    std::uint8_t phase = 0;
    std::uint8_t severity = 0;
    std::int64_t since = 0;
    std::int64_t firing_since = 0;
    if (!reader.read_u8(kind) || !reader.read_string(series.labels.system) ||
        !reader.read_string(series.labels.stage) || !reader.read_string(series.labels.attribute) ||
        !reader.read_string(series.labels.group) || !reader.read_string(series.labels.window) ||
        !reader.read_u8(phase) || !reader.read_u8(severity) || !reader.read_i64(since) ||
        !reader.read_i64(firing_since)) {
      return false;
    }
    if (version > kAlertFormatVersion && !reader.read_i64(series.last_evidence_ms)) return false;
    // Only adverse-impact series are saved, and only pending or firing ones.
    if (kind != static_cast<std::uint8_t>(AlertKind::adverse_impact) ||
        phase > static_cast<std::uint8_t>(detectors::AlertPhase::firing) || phase == 0 ||
        severity > static_cast<std::uint8_t>(detectors::AlertSeverity::critical)) {
      return reader.fail();
    }
    series.labels.kind = AlertKind::adverse_impact;
    series.state =
        detectors::AlertState(static_cast<detectors::AlertPhase>(phase),
                              static_cast<detectors::AlertSeverity>(severity), since, firing_since);
  }
  return true;
}

void write_body(detectors::StateWriter& writer, const Engine& engine,
                const CheckpointPositions& positions, const CheckpointExtras& extras) {
  const std::string description = state_shape_description(engine.config());
  writer.write_raw(kMagic);
  writer.write_u32(kCheckpointFormatVersion);
  writer.write_u64(detectors::stable_hash(description));
  writer.write_string(description);
  writer.write_string(positions.topic);
  writer.write_u64(positions.partitions.size());
  for (const PartitionOffset& partition : positions.partitions) {
    writer.write_i32(partition.partition);
    writer.write_i64(partition.next_offset);
  }
  write_alerts(writer, extras.alerts);
  writer.write_string(extras.sequential_state);
  writer.write_string(extras.drift_state);
  engine.save_state(writer);
}

}  // namespace

std::string encode_checkpoint(const Engine& engine, const CheckpointPositions& positions,
                              const CheckpointExtras& extras) {
  detectors::StateWriter writer;
  write_body(writer, engine, positions, extras);
  writer.write_raw(crc_bytes(crc32_of(writer.bytes())));
  return writer.release();
}

CheckpointLoadResult decode_checkpoint(std::string_view bytes, Engine& engine) {
  if (bytes.size() < kMagic.size() + kCrcBytes) {
    return corrupt("truncated: " + std::to_string(bytes.size()) + " bytes");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return corrupt("not a fairwatch checkpoint (bad magic)");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - kCrcBytes);
  detectors::StateReader crc_reader(bytes.substr(body.size()));
  std::uint32_t stored_crc = 0;
  crc_reader.read_u32(stored_crc);
  if (crc32_of(body) != stored_crc) {
    return corrupt("checksum mismatch (damaged or truncated file, " + std::to_string(bytes.size()) +
                   " bytes)");
  }

  detectors::StateReader reader(body.substr(kMagic.size()));
  std::uint32_t version = 0;
  if (!reader.read_u32(version)) return corrupt("truncated header");
  if (version < kFirstFormatVersion || version > kCheckpointFormatVersion) {
    return corrupt("format version " + std::to_string(version) + "; this build reads versions " +
                   std::to_string(kFirstFormatVersion) + " to " +
                   std::to_string(kCheckpointFormatVersion));
  }
  std::uint64_t fingerprint = 0;
  std::string description;
  if (!reader.read_u64(fingerprint) || !reader.read_string(description)) {
    return corrupt("truncated header");
  }
  if (detectors::stable_hash(description) != fingerprint) {
    return corrupt("state shape fingerprint does not match its description");
  }
  if (fingerprint != state_shape_fingerprint(engine.config())) {
    CheckpointLoadResult result;
    result.status = CheckpointLoad::incompatible;
    result.detail =
        "written under another state shape: " +
        describe_state_shape_change(description, state_shape_description(engine.config()));
    return result;
  }

  CheckpointLoadResult result;
  std::uint64_t partition_count = 0;
  if (!reader.read_string(result.positions.topic) ||
      !reader.read_count(partition_count, std::numeric_limits<std::uint32_t>::max(), 12)) {
    return corrupt("truncated positions");
  }
  result.positions.partitions.resize(static_cast<std::size_t>(partition_count));
  for (PartitionOffset& partition : result.positions.partitions) {
    if (!reader.read_i32(partition.partition) || !reader.read_i64(partition.next_offset)) {
      return corrupt("truncated positions");
    }
  }
  if (version >= kAlertFormatVersion && !read_alerts(reader, version, result.alerts)) {
    return corrupt("alert state malformed at byte " +
                   std::to_string(kMagic.size() + reader.position()));
  }
  if (version > kAlertFormatVersion &&
      (!reader.read_string(result.sequential_state) || !reader.read_string(result.drift_state))) {
    return corrupt("monitor state malformed at byte " +
                   std::to_string(kMagic.size() + reader.position()));
  }
  if (!engine.restore_state(reader)) {
    return corrupt("engine state malformed at byte " +
                   std::to_string(kMagic.size() + reader.position()) + " of " +
                   std::to_string(bytes.size()));
  }
  result.status = CheckpointLoad::loaded;
  return result;
}

std::string write_checkpoint(const std::string& directory, const Engine& engine,
                             const CheckpointPositions& positions, const CheckpointExtras& extras) {
  if (std::string error = make_directories(directory); !error.empty()) return error;
  const std::string final_path = (std::filesystem::path(directory) / kCheckpointFileName).string();
  const std::string temp_path =
      (std::filesystem::path(directory) / kCheckpointTempFileName).string();

  // A leftover from a crash may be read-only or otherwise odd: start afresh.
  if (::unlink(temp_path.c_str()) != 0 && errno != ENOENT) {
    return failure("removing stale", temp_path, errno);
  }
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return failure("creating", temp_path, errno);
  std::string error;
  {
    FileSink sink(fd, temp_path);
    detectors::StateWriter writer(sink);
    write_body(writer, engine, positions, extras);
    writer.flush();
    error = sink.error();
    if (error.empty()) error = write_all(fd, crc_bytes(sink.crc()), temp_path);
  }
  if (error.empty() && ::fsync(fd) != 0) error = failure("syncing", temp_path, errno);
  if (::close(fd) != 0 && error.empty()) error = failure("closing", temp_path, errno);
  if (error.empty() && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    error = failure("renaming " + temp_path + " to", final_path, errno);
  }
  if (!error.empty()) {
    ::unlink(temp_path.c_str());
    return error;
  }
  return sync_directory(directory);
}

CheckpointLoadResult read_checkpoint(const std::string& directory, Engine& engine) {
  const std::string path = (std::filesystem::path(directory) / kCheckpointFileName).string();
  std::string contents;
  bool missing = false;
  if (std::string error = read_file(path, contents, missing); !error.empty()) {
    if (missing) {
      CheckpointLoadResult result;
      result.status = CheckpointLoad::not_found;
      result.detail = "no " + path;
      return result;
    }
    return corrupt(error);
  }
  CheckpointLoadResult result = decode_checkpoint(contents, engine);
  if (result.status != CheckpointLoad::loaded) result.detail = path + ": " + result.detail;
  return result;
}

}  // namespace fairwatch::daemon
