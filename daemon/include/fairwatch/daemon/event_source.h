// EventSource: where the daemon's raw events come from (Kafka, or in memory in
// tests), with the partition positions the checkpoint needs. Implementations
// are driven from one thread: every method, and every PartitionListener
// callback, runs on the thread that calls poll().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {

// One raw message. Views are valid only during the handler call.
struct SourceMessage {
  std::string_view payload;
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

// The next offset to read in a partition of the source topic.
struct PartitionOffset {
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  friend bool operator==(const PartitionOffset&, const PartitionOffset&) = default;
};

// An on_assigned() result meaning "the earliest retained offset, whatever the
// group committed" (librdkafka's OFFSET_BEGINNING).
inline constexpr std::int64_t kStartFromBeginning = -2;

// Receives partition assignment changes. Called from inside EventSource::poll().
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;
  // Partitions newly assigned to this instance. Returns, per partition, the
  // offset to start from; nullopt lets the source use the group's committed
  // offset (or, without one, the earliest retained offset); kStartFromBeginning
  // reads from the earliest retained offset even when the group committed one.
  virtual std::vector<std::optional<std::int64_t>> on_assigned(
      std::span<const std::int32_t> partitions) = 0;
  // Partitions about to be taken away: everything consumed from them must be
  // made durable (checkpointed and committed) before this returns.
  virtual void on_revoked(std::span<const std::int32_t> partitions) = 0;
};

struct SourceHealth {
  bool connected = false;  // a broker answered recently
  std::size_t assigned_partitions = 0;
  // Messages between the consumed position and the high watermark, summed
  // over assigned partitions; nullopt until known.
  std::optional<std::int64_t> lag_messages;
};

enum class PollStatus {
  ok,        // zero or more messages were delivered
  fatal,     // unrecoverable (e.g. authentication, fenced); stop with an error
  finished,  // a finite source has no more messages
};

class EventSource {
 public:
  using Handler = std::function<void(const SourceMessage&)>;
  virtual ~EventSource() = default;

  // Waits up to `timeout` for messages and hands at most `max_messages` of
  // them, in partition order, to `handler`. Rebalance callbacks of the
  // listener run inside this call.
  virtual PollStatus poll(std::chrono::milliseconds timeout, std::size_t max_messages,
                          const Handler& handler) = 0;
  // Records `offsets` as the group's committed offsets (for lag visibility and
  // for other instances after a rebalance). Returns false on failure.
  virtual bool commit(std::span<const PartitionOffset> offsets) = 0;
  // Partitions currently assigned to this instance.
  virtual std::vector<std::int32_t> assignment() const = 0;
  virtual SourceHealth health() const = 0;
  // Why poll() returned fatal ("" otherwise). Never contains secrets.
  virtual std::string fatal_error() const = 0;
  // Leaves the group cleanly (revokes, with on_revoked, then closes).
  virtual void close() = 0;
  // The topic consumed.
  virtual const std::string& topic() const = 0;
};

// Receives copies of rejected events (the dead-letter topic). Thread-compatible.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // Sends the original bytes with the reason and the source position in
  // headers. Never blocks for long; failures are counted, not thrown.
  virtual void send(const SourceMessage& message, RejectReason reason) = 0;
  // Waits up to `timeout` for queued copies to be delivered; false if some were not.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
  virtual std::uint64_t failures() const = 0;
};

}  // namespace fairwatch::daemon
