// AuditLog: the append-only JSON-lines record of alert transitions
// (docs/audit-log.md), one line per transition that reaches Prometheus
// (fired, escalated, deescalated, resolved). Aggregates only: labels, counts,
// ratios and p-values, never an event, an attribute value of a decision or a
// candidate id. Each record is written and flushed at once; sync() (called
// before every checkpoint) makes them durable, so every transition a
// checkpoint reflects is on disk. Not thread-safe: the daemon's consumer
// thread owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/alert_evaluator.h"

namespace fairwatch::daemon {

// What a record says beyond the event: the thresholds in force and the config.
struct AuditContext {
  const config::Config* config = nullptr;  // REQUIRES: non-null
  std::string config_sha256;               // hex digest of the config file's bytes
};

// The lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The deterministic id of a transition: the first 32 hex digits of the
// SHA-256 of the alert's labels, the start of its episode (event time for
// adverse impact), the kind of change and the severity after it. A record
// re-emitted after a crash and replay of the same events carries the same id.
std::string transition_id(const AlertEvent& event);

// The record of one transition: one JSON object, no newline.
std::string audit_record(const AlertEvent& event, const AuditContext& context);

class AuditLog {
 public:
  // Opens `path` for appending, creating it (mode 0640) and its directory.
  // Returns the log or why it cannot be opened.
  static std::variant<std::unique_ptr<AuditLog>, std::string> open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record line and flushes it to the kernel. Returns "" or the error.
  std::string append(std::string_view record);
  // fsyncs the file. Returns "" or the error.
  std::string sync();
  const std::string& path() const { return path_; }

 private:
  AuditLog(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace fairwatch::daemon
