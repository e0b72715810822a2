#include "deploy_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

namespace fairwatch::testing {

std::filesystem::path source_dir() {
  return FAIRWATCH_SOURCE_DIR;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().ends_with(suffix)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::filesystem::path> rule_files() {
  return files_ending(source_dir() / "deploy/prometheus", ".rules.yml");
}

std::vector<std::filesystem::path> dashboard_files() {
  return files_ending(source_dir() / "grafana/dashboards", ".json");
}

std::set<std::string> documented_metrics() {
  std::set<std::string> names;
  std::istringstream lines(read_text(source_dir() / "docs/metrics.md"));
  static const std::regex kRow(R"(^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|)");
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, match, kRow)) names.insert(match[1]);
  }
  return names;
}

std::set<std::string> fairwatch_names(const std::string& text) {
  std::set<std::string> names;
  static const std::regex kName(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    std::string name = it->str();
    while (name.ends_with(':')) name.pop_back();
    const bool metric = name.starts_with("fairwatch_") && name.find(':') == std::string::npos;
    const bool recorded =
        name.find(':') != std::string::npos && name.find("fairwatch") != std::string::npos;
    if (metric || recorded) names.insert(name);
  }
  return names;
}

std::string base_metric(const std::string& name, const std::set<std::string>& known) {
  if (known.contains(name)) return name;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

std::set<std::string> recorded_names() {
  std::set<std::string> names;
  for (const auto& file : rule_files()) {
    for (const YAML::Node& group : YAML::LoadFile(file.string())["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (rule["record"]) names.insert(rule["record"].as<std::string>());
      }
    }
  }
  return names;
}

void expect_only_known_names(const std::filesystem::path& file) {
  const auto documented = documented_metrics();
  const auto recorded = recorded_names();
  ASSERT_FALSE(documented.empty());
  for (const std::string& name : fairwatch_names(read_text(file))) {
    if (name.find(':') != std::string::npos) {
      EXPECT_TRUE(recorded.contains(name)) << file.filename() << ": no rule records " << name;
    } else {
      EXPECT_TRUE(documented.contains(base_metric(name, documented)))
          << file.filename() << ": " << name << " is not in docs/metrics.md";
    }
  }
}

std::string heading_anchor(const std::string& heading) {
  std::string anchor;
  for (const char c : heading) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      anchor += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (c == ' ') {
      anchor += '-';
    }
  }
  return anchor;
}

std::set<std::string> markdown_anchors(const std::filesystem::path& path) {
  std::set<std::string> anchors;
  std::istringstream lines(read_text(path));
  bool fenced = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("```")) fenced = !fenced;
    if (fenced || !line.starts_with("#")) continue;
    const std::size_t text = line.find_first_not_of('#');
    if (text == std::string::npos || line[text] != ' ') continue;
    anchors.insert(heading_anchor(line.substr(text + 1)));
  }
  return anchors;
}

}  // namespace fairwatch::testing
