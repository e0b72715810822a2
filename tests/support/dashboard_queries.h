// Dashboard queries: every PromQL expression a Grafana dashboard JSON file
// runs — each panel's targets (panels nested in rows included), the
// annotation queries and the metric selectors of `label_values(...)`
// template variables — with Grafana's variables substituted by given
// values. The end-to-end tests run them against a real Prometheus; the deploy
// tests check that nothing is left unsubstituted. Pure functions:
// thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fairwatch::testing {

struct DashboardQuery {
  std::string dashboard;  // the dashboard's title
  // The panel's title (inside a row: "ROW / PANEL"); "annotation: NAME" for
  // an annotation query, "variable: NAME" for a template variable.
  std::string panel;
  std::string ref_id;    // the target's refId; "" for annotations and variables
  std::string expr;      // PromQL with the variables substituted
  bool instant = false;  // the panel asks for an instant query (tables, stats)
};

// Values of Grafana variables by name, without the `$`: the dashboard's own
// (system, stage, attribute, window, ...) and built-ins (__rate_interval, ...).
using DashboardVariables = std::map<std::string, std::string>;

// Built-ins as Grafana would set them for a short time range on a 1 s scrape
// interval: __rate_interval=1m, __interval=15s, __interval_ms=15000,
// __range=1h, __range_s=3600, __range_ms=3600000.
DashboardVariables default_builtin_variables();

// Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` by the value of
// `name` (the format is ignored: values are used as given). Variables not in
// `values` are left as written, so a test can find them.
std::string substitute_variables(std::string_view text, const DashboardVariables& values);

// Reads the dashboard at `path` and returns its queries in document order:
// panels' targets with a non-empty `expr`, then annotations with an `expr`,
// then the metric selector of every `label_values(SELECTOR, LABEL)` query
// variable. Returns the error (file or JSON) instead when the file cannot be
// read as a dashboard.
std::variant<std::vector<DashboardQuery>, std::string> dashboard_queries(
    const std::string& path, const DashboardVariables& values);

}  // namespace fairwatch::testing
