// Helpers of the deploy tests: the project's deployment files, the metrics
// docs/metrics.md lists, and the metric names a text refers to. Pure
// functions over files: thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace fairwatch::testing {

// The project's source directory.
std::filesystem::path source_dir();

// The file's contents; fails the current test (and returns "") when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// Files directly in `dir` whose name ends with `suffix`, sorted.
std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix);

// The Prometheus rule files of deploy/prometheus (*.rules.yml), sorted.
std::vector<std::filesystem::path> rule_files();

// The Grafana dashboards (grafana/dashboards/*.json), sorted.
std::vector<std::filesystem::path> dashboard_files();

// The metric names docs/metrics.md documents: the first cell of every table
// row, when it is a backquoted name.
std::set<std::string> documented_metrics();

// Names in `text` that refer to fairwatch series: metric names starting with
// `fairwatch_` and recording-rule names containing `:` and `fairwatch`
// (e.g. `level:fairwatch_x:op`). A trailing `:` (prose) is dropped.
std::set<std::string> fairwatch_names(const std::string& text);

// `name` without a histogram/summary suffix (_bucket, _sum, _count) when
// `name` is not itself in `known`.
std::string base_metric(const std::string& name, const std::set<std::string>& known);

// The names every rule file records (`record:`).
std::set<std::string> recorded_names();

// Fails the current test for every name in the file that is neither a
// metric docs/metrics.md lists nor a recording rule some rule file records.
void expect_only_known_names(const std::filesystem::path& file);

// GitHub's anchor of a Markdown heading: lower case, punctuation dropped,
// spaces to '-'.
std::string heading_anchor(const std::string& heading);

// Anchors of every heading of a Markdown file.
std::set<std::string> markdown_anchors(const std::filesystem::path& path);

}  // namespace fairwatch::testing
