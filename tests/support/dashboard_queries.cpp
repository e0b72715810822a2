#include "dashboard_queries.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace fairwatch::testing {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string string_field(simdjson::dom::element object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

bool bool_field(simdjson::dom::element object, std::string_view key) {
  bool value = false;
  return object[key].get(value) == simdjson::SUCCESS && value;
}

// `label_values(SELECTOR, LABEL)` -> SELECTOR; "" for other variable queries
// (`label_values(LABEL)`, `query_result(...)` is returned whole as PromQL).
std::string variable_selector(const std::string& query) {
  constexpr std::string_view kLabelValues = "label_values(";
  constexpr std::string_view kQueryResult = "query_result(";
  if (query.starts_with(kQueryResult) && query.ends_with(")")) {
    return query.substr(kQueryResult.size(), query.size() - kQueryResult.size() - 1);
  }
  if (!query.starts_with(kLabelValues)) return {};
  // The label is after the last comma at nesting depth 0.
  int depth = 0;
  std::size_t split = std::string::npos;
  bool quoted = false;
  for (std::size_t i = kLabelValues.size(); i < query.size(); ++i) {
    const char c = query[i];
    if (c == '"' && query[i - 1] != '\\') quoted = !quoted;
    if (quoted) continue;
    if (c == '(' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '}' || c == ']') --depth;
    if (c == ',' && depth == 0) split = i;
  }
  if (split == std::string::npos) return {};
  return query.substr(kLabelValues.size(), split - kLabelValues.size());
}

void collect_panels(simdjson::dom::array panels, const std::string& prefix,
                    const std::string& dashboard, const DashboardVariables& values,
                    std::vector<DashboardQuery>& out) {
  for (simdjson::dom::element panel : panels) {
    const std::string title = prefix + string_field(panel, "title");
    simdjson::dom::array nested;
    if (panel["panels"].get(nested) == simdjson::SUCCESS) {
      collect_panels(nested, title + " / ", dashboard, values, out);
    }
    simdjson::dom::array targets;
    if (panel["targets"].get(targets) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element target : targets) {
      const std::string expr = string_field(target, "expr");
      if (expr.empty()) continue;
      out.push_back({dashboard, title, string_field(target, "refId"),
                     substitute_variables(expr, values),
                     bool_field(target, "instant") && !bool_field(target, "range")});
    }
  }
}

}  // namespace

DashboardVariables default_builtin_variables() {
  return {{"__rate_interval", "1m"}, {"__interval", "15s"}, {"__interval_ms", "15000"},
          {"__range", "1h"},         {"__range_s", "3600"}, {"__range_ms", "3600000"}};
}

std::string substitute_variables(std::string_view text, const DashboardVariables& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t name_begin = 0, name_end = 0, end = 0;
    // `${name[:format]}` or `[[name[:format]]]`.
    const auto bracketed = [&](std::string_view open, std::string_view close) {
      if (text.compare(i, open.size(), open) != 0) return false;
      const std::size_t close_at = text.find(close, i + open.size());
      if (close_at == std::string_view::npos) return false;
      name_begin = i + open.size();
      name_end = std::min(text.find(':', name_begin), close_at);
      end = close_at + close.size();
      return true;
    };
    if (!bracketed("${", "}") && !bracketed("[[", "]]") && text[i] == '$') {
      name_begin = i + 1;
      name_end = name_begin;
      while (name_end < text.size() && is_name_char(text[name_end])) ++name_end;
      end = name_end;
    }
    if (end > i) {
      const auto found = values.find(std::string(text.substr(name_begin, name_end - name_begin)));
      if (found != values.end()) {
        out += found->second;
        i = end;
        continue;
      }
    }
    out += text[i];
    ++i;
  }
  return out;
}

std::variant<std::vector<DashboardQuery>, std::string> dashboard_queries(
    const std::string& path, const DashboardVariables& values) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return path + ": cannot read the file";
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(text).get(root); error != simdjson::SUCCESS) {
    return path + ": invalid JSON: " + simdjson::error_message(error);
  }
  simdjson::dom::array panels;
  if (root["panels"].get(panels) != simdjson::SUCCESS) return path + ": no \"panels\" list";
  const std::string dashboard = string_field(root, "title");

  std::vector<DashboardQuery> queries;
  collect_panels(panels, "", dashboard, values, queries);

  simdjson::dom::array annotations;
  if (root["annotations"]["list"].get(annotations) == simdjson::SUCCESS) {
    for (simdjson::dom::element annotation : annotations) {
      const std::string expr = string_field(annotation, "expr");
      if (expr.empty()) continue;
      queries.push_back({dashboard, "annotation: " + string_field(annotation, "name"), "",
                         substitute_variables(expr, values), false});
    }
  }
  simdjson::dom::array variables;
  if (root["templating"]["list"].get(variables) == simdjson::SUCCESS) {
    for (simdjson::dom::element variable : variables) {
      if (string_field(variable, "type") != "query") continue;
      std::string query;
      simdjson::dom::element query_element;
      if (variable["query"].get(query_element) == simdjson::SUCCESS) {
        // Grafana writes the query either as a string or as {"query": "..."}.
        query = query_element.is_string() ? std::string(query_element.get_string().value())
                                          : string_field(query_element, "query");
      }
      const std::string selector = variable_selector(query);
      if (selector.empty()) continue;
      queries.push_back({dashboard, "variable: " + string_field(variable, "name"), "",
                         substitute_variables(selector, values), true});
    }
  }
  return queries;
}

}  // namespace fairwatch::testing
