#include "fairwatch/daemon/log.h"

#include "fairwatch/daemon/json_writer.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string format_line(LogLevel level, std::string_view message,
                        std::initializer_list<LogField> fields, std::uint64_t suppressed) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line;
  JsonWriter json(line);
  json.begin_object();
  json.key("time").value(format_rfc3339(now));
  json.key("level").value(level_name(level));
  json.key("msg").value(message);
  for (const auto& [name, value] : fields) {
    json.key(name);
    std::visit([&](const auto& v) { json.value(v); }, value);
  }
  if (suppressed > 0) json.key("suppressed").value(suppressed);
  json.end_object();
  line += '\n';
  return line;
}

}  // namespace

Log& Log::global() {
  static Log log;
  return log;
}

void Log::set_level(LogLevel level) {
  const std::lock_guard lock(mutex_);
  level_ = level;
}

void Log::set_output(std::FILE* output) {
  const std::lock_guard lock(mutex_);
  output_ = output;
}

bool Log::enabled(LogLevel level) const {
  const std::lock_guard lock(mutex_);
  return level >= level_;
}

void Log::write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  const std::string line = format_line(level, message, fields, 0);
  const std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), output_);
  std::fflush(output_);
}

void Log::write_limited(std::string_view key, std::chrono::milliseconds interval, LogLevel level,
                        std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::uint64_t suppressed = 0;
  {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = limits_.try_emplace(std::string(key));
    if (!inserted && now - it->second.last < interval) {
      ++it->second.suppressed;
      return;
    }
    it->second.last = now;
    suppressed = it->second.suppressed;
    it->second.suppressed = 0;
  }
  const std::string line = format_line(level, message, fields, suppressed);
  const std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), output_);
  std::fflush(output_);
}

}  // namespace fairwatch::daemon
