// Structured logging: one JSON object per line on stderr (or another FILE*),
// {"time":"…Z","level":"info","msg":"…", …fields}. Thread-safe.
//
// Privacy contract: callers never pass an event's attribute values, event
// ids or candidate ids as fields; positions (topic/partition/offset), counts,
// reasons and config keys are fine.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "fairwatch/config/config.h"

namespace fairwatch::daemon {

using LogLevel = config::LogLevel;
using LogValue = std::variant<std::string_view, std::int64_t, double, bool>;
using LogField = std::pair<std::string_view, LogValue>;

class Log {
 public:
  // The process-wide log (stderr, level info).
  static Log& global();

  void set_level(LogLevel level);
  void set_output(std::FILE* output);  // not owned
  bool enabled(LogLevel level) const;

  void write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
  void debug(std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::info, message, fields);
  }
  void warning(std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::warning, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::error, message, fields);
  }

  // As write(), but at most once per `interval` per `key`; the next line
  // written for the key carries "suppressed": N.
  void write_limited(std::string_view key, std::chrono::milliseconds interval, LogLevel level,
                     std::string_view message, std::initializer_list<LogField> fields = {});

 private:
  mutable std::mutex mutex_;
  std::FILE* output_ = stderr;
  LogLevel level_ = LogLevel::info;
  struct Limit {
    std::chrono::steady_clock::time_point last;
    std::uint64_t suppressed = 0;
  };
  std::unordered_map<std::string, Limit> limits_;
};

}  // namespace fairwatch::daemon
