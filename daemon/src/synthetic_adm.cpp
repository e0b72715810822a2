// SyntheticAdm: seeded synthetic hiring decisions with an injectable bias.
#include "fairwatch/daemon/synthetic_adm.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "fairwatch/daemon/json_writer.h"
#include "fairwatch/daemon/report_format.h"

namespace fairwatch::daemon {
namespace {

struct Weighted {
  std::string_view value;
  double weight;
};

// Applicant mix per attribute, in kSyntheticAttributes order; every value is
// one of demo.yaml's groups.
constexpr std::array<Weighted, 3> kSex = {{{"female", 0.48}, {"male", 0.49}, {"non-binary", 0.03}}};
constexpr std::array<Weighted, 5> kEthnicity = {
    {{"asian", 0.12}, {"black", 0.11}, {"mixed", 0.05}, {"white", 0.64}, {"other", 0.08}}};
constexpr std::array<Weighted, 4> kAgeBand = {
    {{"<25", 0.18}, {"25-39", 0.46}, {"40-54", 0.27}, {"55+", 0.09}}};
constexpr std::array<Weighted, 2> kDisability = {{{"no", 0.9}, {"yes", 0.1}}};

constexpr std::string_view kUndisclosedGroup = "undisclosed";
constexpr double kFollowUpShare =
    0.5;  // of decisions taken from the funnel, when it has candidates
constexpr std::size_t kMaxPending = 10000;
constexpr std::size_t kRecent = 256;

template <std::size_t N>
std::string_view pick(const std::array<Weighted, N>& options, double u) {
  for (const auto& option : options) {
    if (u < option.weight) return option.value;
    u -= option.weight;
  }
  return options.back().value;
}

std::size_t attribute_index(std::string_view name) {
  for (std::size_t i = 0; i < kSyntheticAttributes.size(); ++i) {
    if (kSyntheticAttributes[i] == name) return i;
  }
  return kSyntheticAttributes.size();
}

}  // namespace

const char* to_string(SyntheticKind kind) {
  switch (kind) {
    case SyntheticKind::decision:
      return "decision";
    case SyntheticKind::malformed:
      return "malformed";
    case SyntheticKind::duplicate:
      return "duplicate";
    case SyntheticKind::late:
      return "late";
    case SyntheticKind::unknown_group:
      return "unknown_group";
  }
  return "decision";
}

SyntheticAdm::SyntheticAdm(SyntheticAdmOptions options)
    : options_(std::move(options)), rng_(options_.seed) {}

double SyntheticAdm::uniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

double SyntheticAdm::gaussian() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::size_t SyntheticAdm::below(std::size_t n) {
  return std::min(n - 1, static_cast<std::size_t>(uniform() * static_cast<double>(n)));
}

bool SyntheticAdm::bias_active(std::int64_t event_time_ms) const {
  const SyntheticBias& bias = options_.bias;
  return (bias.after_time_ms && event_time_ms >= *bias.after_time_ms) ||
         (bias.after_events && generated_ >= *bias.after_events);
}

SyntheticAdm::Candidate SyntheticAdm::new_candidate() {
  Candidate candidate;
  candidate.id = next_candidate_++;
  candidate.system = below(options_.systems.size());
  candidate.requisition =
      1001 + static_cast<int>(below(static_cast<std::size_t>(std::max(options_.requisitions, 1))));
  candidate.attributes = {pick(kSex, uniform()), pick(kEthnicity, uniform()),
                          pick(kAgeBand, uniform()), pick(kDisability, uniform())};
  return candidate;
}

std::string SyntheticAdm::render(const SyntheticEvent& event, int requisition, double score,
                                 std::string_view decision, bool with_system) {
  std::string out;
  out.reserve(256);
  JsonWriter json(out);
  json.begin_object();
  json.key("event_id")
      .value("syn-" + std::to_string(options_.seed) + "-" + std::to_string(generated_));
  json.key("timestamp").value(format_rfc3339(event.event_time_ms));
  if (with_system) json.key("system").value(event.system);
  json.key("stage").value(event.stage);
  json.key("requisition").value("req-" + std::to_string(requisition));
  json.key("decision").value(decision);
  json.key("score").value(score);
  json.key("attributes").begin_object();
  for (std::size_t i = 0; i < kSyntheticAttributes.size(); ++i) {
    json.key(kSyntheticAttributes[i]).value(event.attributes[i]);
  }
  json.end_object();
  json.end_object();
  return out;
}

SyntheticEvent SyntheticAdm::decide(std::int64_t event_time_ms, SyntheticKind kind) {
  Candidate candidate;
  if (!pending_.empty() && uniform() < kFollowUpShare) {
    candidate = pending_.front();
    pending_.pop_front();
  } else {
    candidate = new_candidate();
  }

  SyntheticEvent event;
  event.kind = kind;
  event.key = "cand-" + std::to_string(candidate.id);
  event.event_time_ms =
      kind == SyntheticKind::late ? event_time_ms - options_.anomalies.late_by_ms : event_time_ms;
  event.system = options_.systems[candidate.system];
  event.stage = options_.stages[candidate.stage];
  event.attributes = candidate.attributes;
  if (kind == SyntheticKind::unknown_group) {
    event.attributes[below(event.attributes.size())] = kUndisclosedGroup;
  }

  double probability = options_.selection_probability[candidate.stage];
  const std::size_t bias_attribute = attribute_index(options_.bias.attribute);
  if (bias_active(event.event_time_ms) && event.stage == options_.bias.stage &&
      bias_attribute < event.attributes.size() &&
      event.attributes[bias_attribute] == options_.bias.group) {
    probability *= options_.bias.factor;
    event.biased = true;
  }
  event.selected = uniform() < probability;
  double score = 0.55 + 0.15 * gaussian() + (event.selected ? 0.05 : -0.05);
  if (event.biased) score -= 0.08;
  score = std::round(std::clamp(score, 0.0, 1.0) * 1000.0) / 1000.0;

  if (event.selected && candidate.stage + 1 < options_.stages.size()) {
    ++candidate.stage;
    pending_.push_back(candidate);
    if (pending_.size() > kMaxPending) pending_.pop_front();
  }
  event.payload =
      render(event, candidate.requisition, score, event.selected ? "selected" : "rejected", true);
  return event;
}

SyntheticEvent SyntheticAdm::malformed(std::int64_t event_time_ms) {
  Candidate candidate = new_candidate();
  SyntheticEvent event;
  event.kind = SyntheticKind::malformed;
  event.key = "cand-" + std::to_string(candidate.id);
  event.event_time_ms = event_time_ms;
  event.system = options_.systems[candidate.system];
  event.stage = options_.stages[candidate.stage];
  event.attributes = candidate.attributes;
  event.selected = uniform() < options_.selection_probability[candidate.stage];
  const std::string_view decision = event.selected ? "selected" : "rejected";
  switch (below(4)) {
    case 0: {  // not JSON: cut short
      const std::string whole = render(event, candidate.requisition, 0.5, decision, true);
      event.payload = whole.substr(0, whole.size() / 2);
      break;
    }
    case 1: {  // bad timestamp
      event.payload = render(event, candidate.requisition, 0.5, decision, true);
      const std::string stamp = "\"" + format_rfc3339(event.event_time_ms) + "\"";
      event.payload.replace(event.payload.find(stamp), stamp.size(), "\"yesterday\"");
      break;
    }
    case 2:  // unmapped decision
      event.payload = render(event, candidate.requisition, 0.5, "maybe", true);
      break;
    default:  // missing system
      event.payload = render(event, candidate.requisition, 0.5, decision, false);
      break;
  }
  return event;
}

SyntheticEvent SyntheticAdm::next(std::int64_t event_time_ms) {
  const SyntheticAnomalies& anomalies = options_.anomalies;
  double u = uniform();
  SyntheticKind kind = SyntheticKind::decision;
  if ((u -= anomalies.malformed) < 0) {
    kind = SyntheticKind::malformed;
  } else if ((u -= anomalies.duplicate) < 0) {
    kind = recent_.empty() ? SyntheticKind::decision : SyntheticKind::duplicate;
  } else if ((u -= anomalies.late) < 0) {
    kind = SyntheticKind::late;
  } else if ((u -= anomalies.unknown_group) < 0) {
    kind = SyntheticKind::unknown_group;
  }

  SyntheticEvent event;
  switch (kind) {
    case SyntheticKind::malformed:
      event = malformed(event_time_ms);
      break;
    case SyntheticKind::duplicate:
      event = recent_[below(recent_.size())];
      event.kind = SyntheticKind::duplicate;
      break;
    default:
      event = decide(event_time_ms, kind);
      recent_.push_back(event);
      if (recent_.size() > kRecent) recent_.pop_front();
      break;
  }
  ++generated_;
  return event;
}

}  // namespace fairwatch::daemon
