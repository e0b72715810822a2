// Checkpoints: the engine's whole state and the source positions, written
// together and atomically (write to a temporary file, fsync, rename, fsync the
// directory), so that after any crash the daemon resumes exactly where its
// state ends: no decision lost, none counted twice. Thread-compatible: the
// caller serializes access to the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/event_source.h"

namespace fairwatch::daemon {

// What a checkpoint holds besides the engine state.
struct CheckpointPositions {
  std::string topic;
  std::vector<PartitionOffset> partitions;  // next offset to read, per partition ever consumed
};

enum class CheckpointLoad {
  loaded,        // the engine holds the checkpointed state; positions are filled
  not_found,     // no checkpoint file: start empty
  incompatible,  // written under another state shape (see `detail`); engine untouched
  corrupt,       // unreadable, truncated or failing its checksum (see `detail`); engine untouched
};

struct CheckpointLoadResult {
  CheckpointLoad status = CheckpointLoad::not_found;
  std::string detail;  // what differs or what is wrong, for the operator
  CheckpointPositions positions;
};

// The file name inside checkpoint.path.
inline constexpr const char* kCheckpointFileName = "checkpoint.bin";

// A digest of the parts of the config that define what the state means
// (attributes, groups, fields, intersections, windows, stratum field, score
// grid), and a readable description of them for `detail` messages.
std::uint64_t state_shape_fingerprint(const config::Config& config);

// Writes engine state and positions to <directory>/checkpoint.bin atomically.
// Returns "" on success, otherwise what failed (errno text included).
std::string write_checkpoint(const std::string& directory, const Engine& engine,
                             const CheckpointPositions& positions);

// Reads <directory>/checkpoint.bin into `engine`.
// REQUIRES: engine was constructed from the current config and has not been fed.
CheckpointLoadResult read_checkpoint(const std::string& directory, Engine& engine);

}  // namespace fairwatch::daemon
