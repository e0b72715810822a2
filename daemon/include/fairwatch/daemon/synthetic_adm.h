// SyntheticAdm: a seeded generator of hiring-decision events, as a recruitment
// ADM system would emit them, in the default field mapping (see
// config/examples/demo.yaml): systems, a screening → interview → offer
// funnel per candidate, requisitions, attributes sex / ethnicity / age_band /
// disability, scores, decisions selected / rejected. A configurable bias
// lowers one group's selection probability at one stage from a point on, and
// a configurable share of malformed, duplicate, late and unknown-group events
// exercises the rejection paths.
//
// Deterministic: the same options (seed included) and the same sequence of
// next() arguments give byte-identical events on every platform (own
// distributions over std::mt19937_64). No I/O, no clock: event times come in
// as arguments. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace fairwatch::daemon {

struct SyntheticBias {
  std::string attribute = "sex";  // one of sex, ethnicity, age_band, disability
  std::string group = "female";
  std::string stage = "screening";
  double factor = 0.6;  // multiplies the group's selection probability at `stage`
  // The bias is active for an event whose time is at or after `after_time_ms`,
  // or once `after_events` events (of any kind) were generated before it.
  // With neither set it is never active.
  std::optional<std::int64_t> after_time_ms;
  std::optional<std::uint64_t> after_events;
};

// Shares (each in [0, 1], summing to at most 1) of events that are not plain
// decisions.
struct SyntheticAnomalies {
  double malformed = 0;      // rejected by the decoder: broken JSON, bad timestamp,
                             // unmapped decision, or missing system (in turn, at random)
  double duplicate = 0;      // a byte-identical resend of one of the last 256 decisions
  double late = 0;           // a decision stamped `late_by_ms` before the time passed
  double unknown_group = 0;  // a decision with one attribute outside the configured groups
  std::int64_t late_by_ms =
      std::int64_t{2} * 3600 * 1000;  // beyond the default allowed_lateness (1h)
};

struct SyntheticAdmOptions {
  std::uint64_t seed = 1;
  std::vector<std::string> systems = {"cv-screener-v3", "talent-match-v2"};
  // The funnel, in order, with each stage's base selection probability.
  std::vector<std::string> stages = {"screening", "interview", "offer"};
  std::vector<double> selection_probability = {0.30, 0.45, 0.60};
  int requisitions = 24;  // req-1001 … req-1024
  SyntheticBias bias;
  SyntheticAnomalies anomalies;
};

enum class SyntheticKind { decision, malformed, duplicate, late, unknown_group };
const char* to_string(SyntheticKind kind);

// Attribute order of SyntheticEvent::attributes.
inline constexpr std::array<std::string_view, 4> kSyntheticAttributes = {"sex", "ethnicity",
                                                                         "age_band", "disability"};

struct SyntheticEvent {
  SyntheticKind kind = SyntheticKind::decision;
  std::string payload;  // one JSON document, no newline
  std::string key;      // a candidate id ("cand-…"): keeps a candidate's stages in one partition
  std::int64_t event_time_ms = 0;  // as written in the payload
  // What the event says (for malformed events: what it would have said).
  // Views of static strings or of the generator's options: valid while the
  // generator lives.
  std::string_view system;
  std::string_view stage;
  bool selected = false;
  bool biased = false;  // the bias lowered this event's selection probability
  std::array<std::string_view, 4> attributes;  // values, in kSyntheticAttributes order
};

class SyntheticAdm {
 public:
  // REQUIRES: systems and stages non-empty; selection_probability has one
  // entry per stage; requisitions > 0.
  explicit SyntheticAdm(SyntheticAdmOptions options = {});

  // The next event, stamped `event_time_ms` (milliseconds since the epoch),
  // late events excepted.
  SyntheticEvent next(std::int64_t event_time_ms);

  // Whether the bias applies to an event generated now at `event_time_ms`.
  bool bias_active(std::int64_t event_time_ms) const;
  std::uint64_t generated() const { return generated_; }
  const SyntheticAdmOptions& options() const { return options_; }

 private:
  struct Candidate {
    std::uint64_t id = 0;
    std::size_t system = 0;
    std::size_t stage = 0;  // the next stage to decide
    int requisition = 0;
    std::array<std::string_view, 4> attributes;
  };

  double uniform();  // [0, 1)
  double gaussian();
  std::size_t below(std::size_t n);
  Candidate new_candidate();
  SyntheticEvent decide(std::int64_t event_time_ms, SyntheticKind kind);
  SyntheticEvent malformed(std::int64_t event_time_ms);
  std::string render(const SyntheticEvent& event, int requisition, double score,
                     std::string_view decision, bool with_system);

  SyntheticAdmOptions options_;
  std::mt19937_64 rng_;
  std::uint64_t generated_ = 0;
  std::uint64_t next_candidate_ = 1;
  std::deque<Candidate> pending_;      // selected candidates awaiting their next stage
  std::deque<SyntheticEvent> recent_;  // the last decisions, for duplicates
};

}  // namespace fairwatch::daemon
