// Checkpoints: the engine's whole state and the source positions, written
// together and atomically (write to a temporary file, fsync, rename, fsync the
// directory), so that after any crash the daemon resumes exactly where its
// state ends: no decision lost, none counted twice. Thread-compatible: the
// caller serializes access to the engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/alert_evaluator.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/event_source.h"

namespace fairwatch::daemon {

// What a checkpoint holds besides the engine state.
struct CheckpointPositions {
  std::string topic;
  std::vector<PartitionOffset> partitions;  // next offset to read, per partition ever consumed
  friend bool operator==(const CheckpointPositions&, const CheckpointPositions&) = default;
};

enum class CheckpointLoad {
  loaded,        // the engine holds the checkpointed state; positions are filled
  not_found,     // no checkpoint file: start empty
  incompatible,  // written under another state shape (see `detail`); engine untouched
  corrupt,       // unreadable, truncated or failing its checksum (see `detail`); engine untouched
};

// What a checkpoint holds besides the engine state and the positions.
struct CheckpointExtras {
  std::vector<SavedAlertSeries> alerts;  // pending or firing adverse-impact series
  std::string sequential_state;          // SequentialMonitor::save_state() bytes; "" none
  std::string drift_state;               // DriftMonitor::save_state() bytes; "" none
  friend bool operator==(const CheckpointExtras&, const CheckpointExtras&) = default;
};

struct CheckpointLoadResult {
  CheckpointLoad status = CheckpointLoad::not_found;
  std::string detail;  // what differs or what is wrong, for the operator
  CheckpointPositions positions;
  // The adverse-impact alert series that were pending or firing (empty for
  // a version 1 file, which predates alert state).
  std::vector<SavedAlertSeries> alerts;
  // Version 3: the sequential monitor's and the drift monitor's state ("" before).
  std::string sequential_state;
  std::string drift_state;
};

// The file name inside checkpoint.path.
inline constexpr const char* kCheckpointFileName = "checkpoint.bin";
// Where write_checkpoint() writes before renaming; ignored (and replaced) by
// every later write, never read.
inline constexpr const char* kCheckpointTempFileName = "checkpoint.bin.tmp";
// The version of the file format (docs/checkpoint-format.md). Version 2 adds
// the alert state; version 3 the alerts' newest evidence time and the
// sequential and drift monitors' state. Versions 1 and 2 are still read
// (without what they predate); files of other versions are reported as corrupt.
inline constexpr std::uint32_t kCheckpointFormatVersion = 3;

// A digest of the parts of the config that define what the state means
// (attributes, groups, fields, intersections, windows, stratum field, score
// grid), and a readable description of them for `detail` messages.
std::uint64_t state_shape_fingerprint(const config::Config& config);

// The canonical text state_shape_fingerprint() digests (stable_hash of it):
// one "key: value" line each for attributes (names and groups), attribute
// fields, intersections, windows (lengths), stratum field, score grid, ring
// buckets and score quantiles. Stored in every checkpoint.
std::string state_shape_description(const config::Config& config);

// What changed between two state shape descriptions, for `detail`, e.g.
// "attributes: sex [female, male] → sex [female, male, non-binary]"
// (parts separated by "; "); "" when they are equal.
std::string describe_state_shape_change(std::string_view saved, std::string_view current);

// The complete contents of a checkpoint file for engine, positions and extras.
std::string encode_checkpoint(const Engine& engine, const CheckpointPositions& positions,
                              const CheckpointExtras& extras = {});

// Loads checkpoint file contents into `engine`, as read_checkpoint() does
// (never returns not_found). The engine changes only when the result is
// `loaded`. REQUIRES: as read_checkpoint().
CheckpointLoadResult decode_checkpoint(std::string_view bytes, Engine& engine);

// Writes engine state, positions and extras to <directory>/checkpoint.bin atomically:
// the bytes go to checkpoint.bin.tmp (replacing any leftover), which is
// fsynced and renamed over checkpoint.bin, and the directory is fsynced; the
// directory and its missing parents are created first. After a crash at any
// point, checkpoint.bin is either the previous checkpoint or the new one.
// Returns "" on success, otherwise what failed (errno text included); the
// previous checkpoint.bin is then untouched.
std::string write_checkpoint(const std::string& directory, const Engine& engine,
                             const CheckpointPositions& positions,
                             const CheckpointExtras& extras = {});

// Reads <directory>/checkpoint.bin into `engine`: not_found without the file;
// corrupt when unreadable, truncated, of another format version, failing
// its CRC or not decoding; incompatible when written under another state
// shape. The engine changes only when the result is `loaded` (the header,
// positions and checksum are checked first; Engine::restore_state is all or
// nothing).
// REQUIRES: engine was constructed from the current config and has not been fed.
CheckpointLoadResult read_checkpoint(const std::string& directory, Engine& engine);

}  // namespace fairwatch::daemon
