#include "fairwatch/daemon/drift_report.h"

#include <numeric>

#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/drift_monitor.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/detectors/drift.h"
#include "fairwatch/detectors/kolmogorov_smirnov.h"

namespace fairwatch::daemon {
namespace {

std::uint64_t total(const std::vector<std::uint64_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

// PSI and JS of `current` against `baseline` into the row.
void set_divergences(DriftRow& row, const std::vector<std::uint64_t>& baseline,
                     const std::vector<std::uint64_t>& current) {
  row.psi = detectors::population_stability_index(baseline, current);
  row.js_divergence = detectors::jensen_shannon_divergence(baseline, current);
  row.baseline_n = total(baseline);
  row.current_n = total(current);
}

class DriftRowBuilder {
 public:
  DriftRowBuilder(const Engine& engine, const DriftMonitor& monitor, const Baseline& baseline,
                  std::vector<DriftRow>& rows)
      : engine_(engine), monitor_(monitor), baseline_(baseline), rows_(rows) {}

  void add_window(std::size_t w, const std::string& name) {
    for (const StageState* stage : stages_in_report_order(engine_)) {
      const std::vector<detectors::Counts> applicants = window_counts(*stage, w);
      for (const AttributeFamily& family : engine_.layout().families()) {
        for (std::size_t g = 0; g < family.groups.size(); ++g) {
          add_scores(w, name, *stage, family, g);
        }
        add_mix(name, *stage, family, applicants);
      }
    }
  }

 private:
  bool is_all(std::size_t w) const { return w == engine_.config().windows.size(); }

  std::vector<detectors::Counts> window_counts(const StageState& stage, std::size_t w) const {
    if (is_all(w)) return stage.all;
    std::vector<detectors::Counts> counts(engine_.layout().slot_count());
    stage.windows[w].counts(engine_.watermark_ms(), counts);
    return counts;
  }

  DriftRow base_row(const std::string& window, const StageState& stage,
                    const AttributeFamily& family, DriftSubject subject) const {
    DriftRow row;
    row.window = window;
    row.system = stage.system;
    row.stage = stage.stage;
    row.attribute = family.name;
    row.subject = subject;
    return row;
  }

  void add_scores(std::size_t w, const std::string& window, const StageState& stage,
                  const AttributeFamily& family, std::size_t g) {
    DriftRow row = base_row(window, stage, family, DriftSubject::score);
    row.group = family.groups[g];
    const ScoreDistribution current =
        monitor_.scores(stage.system, stage.stage, w,
                        family.first_slot + static_cast<std::uint32_t>(g), engine_.watermark_ms());
    const BaselineScores* reference =
        baseline_.find_scores(stage.system, stage.stage, family.name, family.groups[g]);
    if (reference == nullptr) {
      row.current_n = current.scored;
      rows_.push_back(std::move(row));
      return;
    }
    set_divergences(row, reference->histogram, current.histogram);
    if (const auto ks = detectors::kolmogorov_smirnov_test(reference->sample, current.sample)) {
      row.ks_statistic = ks->statistic;
      row.ks_p_value = ks->p_value;
    }
    rows_.push_back(std::move(row));
  }

  void add_mix(const std::string& window, const StageState& stage, const AttributeFamily& family,
               const std::vector<detectors::Counts>& applicants) {
    DriftRow row = base_row(window, stage, family, DriftSubject::mix);
    std::vector<std::uint64_t> current;
    for (std::size_t g = 0; g < family.groups.size(); ++g) {
      current.push_back(applicants[family.first_slot + g].applicants);
    }
    const BaselineMix* reference = baseline_.find_mix(stage.system, stage.stage, family.name);
    if (reference == nullptr) {
      row.current_n = total(current);
      rows_.push_back(std::move(row));
      return;
    }
    // The baseline's applicants of each configured group (0 when it has none).
    std::vector<std::uint64_t> expected(family.groups.size(), 0);
    for (std::size_t g = 0; g < family.groups.size(); ++g) {
      for (const auto& [group, count] : reference->applicants) {
        if (group == family.groups[g]) expected[g] = count;
      }
    }
    set_divergences(row, expected, current);
    rows_.push_back(std::move(row));
  }

  const Engine& engine_;
  const DriftMonitor& monitor_;
  const Baseline& baseline_;
  std::vector<DriftRow>& rows_;
};

}  // namespace

const char* to_string(DriftSubject subject) {
  return subject == DriftSubject::score ? "score" : "mix";
}

std::vector<DriftRow> build_drift_rows(const Engine& engine, const DriftMonitor& monitor,
                                       const Baseline& baseline,
                                       const std::optional<std::string>& window) {
  std::vector<DriftRow> rows;
  DriftRowBuilder builder(engine, monitor, baseline, rows);
  const std::vector<std::string> names = window_names(engine.config());
  for (std::size_t w = 0; w < names.size(); ++w) {
    if (!window || *window == names[w]) builder.add_window(w, names[w]);
  }
  return rows;
}

}  // namespace fairwatch::daemon
