// load_config_*: parses YAML, dispatches each top-level section to its reader
// and turns every yaml-cpp exception into a ConfigError.
#include "fairwatch/config/load.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>

#include "sections.h"
#include "yaml_reader.h"

namespace fairwatch::config {
namespace {

using internal::Item;
using internal::Reader;

struct Section {
  std::string_view key;
  void (*read)(Reader& reader, const Item& item, Config& config);
  // Non-empty for a required section: what is expected when it is missing.
  std::string_view required_what;
};

// Every top-level key, in reading order: a reader may use the sections before it.
// A new section is one reader in sections.h and one row here.
constexpr std::array<Section, 12> kSections = {{
    {"events", &internal::read_events, ""},
    {"attributes", &internal::read_attributes,
     "a non-empty list of attributes, each {name, field, groups}"},
    {"intersections", &internal::read_intersections, ""},
    {"windows", &internal::read_windows, ""},
    {"statistics", &internal::read_statistics, ""},
    {"scores", &internal::read_scores, ""},
    {"source", &internal::read_source, ""},
    {"exporter", &internal::read_exporter, ""},
    {"checkpoint", &internal::read_checkpoint, ""},
    {"alerts", &internal::read_alerts, ""},
    {"drift", &internal::read_drift, ""},
    {"logging", &internal::read_logging, ""},
}};

constexpr auto kSectionKeys = [] {
  std::array<std::string_view, kSections.size()> keys{};
  for (std::size_t i = 0; i < kSections.size(); ++i) {
    keys[i] = kSections[i].key;
  }
  return keys;
}();

YAML::Mark start_of_file() {
  YAML::Mark mark;
  mark.pos = 0;
  mark.line = 0;
  mark.column = 0;
  return mark;
}

void read_document(Reader& reader, const YAML::Node& root, Config& config) {
  const Item item{root, root.IsNull() ? start_of_file() : root.Mark(), ""};
  const auto map = reader.map(item, kSectionKeys);
  if (!map) {
    return;
  }
  for (const Section& section : kSections) {
    const Item* value = section.required_what.empty()
                            ? map->find(section.key)
                            : reader.require(*map, section.key, section.required_what);
    if (value != nullptr) {
      section.read(reader, *value, config);
    }
  }
}

LoadResult load(const std::string& text, const std::string& file_name) {
  Reader reader(file_name);
  const std::vector<YAML::Node> documents = YAML::LoadAll(text);
  Config config;
  config.path = file_name;
  if (documents.empty()) {
    reader.error(start_of_file(), "",
                 "expected a map with at least the key \"attributes\", got an empty document");
  } else {
    read_document(reader, documents.front(), config);
    for (std::size_t i = 1; i < documents.size(); ++i) {
      if (documents[i].IsNull()) {
        continue;  // e.g. a trailing "---"
      }
      reader.error(documents[i].Mark(), "",
                   "expected a single YAML document, got document " + std::to_string(i + 1));
    }
  }
  if (reader.has_errors()) {
    return reader.take_errors();
  }
  return config;
}

std::vector<ConfigError> one_error(const std::string& file, int line, int column,
                                   std::string message) {
  ConfigError error;
  error.file = file;
  error.line = line;
  error.column = column;
  error.message = std::move(message);
  return {std::move(error)};
}

std::string system_error_text() {
  return std::generic_category().message(errno);
}

}  // namespace

LoadResult load_config_from_string(const std::string& text, const std::string& file_name) {
  try {
    return load(text, file_name);
  } catch (const YAML::ParserException& e) {
    const bool positioned = e.mark.line >= 0 && e.mark.column >= 0;
    return one_error(file_name, positioned ? e.mark.line + 1 : 0,
                     positioned ? e.mark.column + 1 : 0, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return one_error(file_name, 0, 0, std::string("cannot load the configuration: ") + e.what());
  } catch (...) {
    return one_error(file_name, 0, 0, "cannot load the configuration: unknown error");
  }
}

LoadResult load_config_file(const std::string& path) {
  std::error_code status;
  if (std::filesystem::is_directory(path, status)) {
    return one_error(path, 0, 0, "cannot read the file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return one_error(path, 0, 0, "cannot read the file: " + system_error_text());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return one_error(path, 0, 0, "cannot read the file: " + system_error_text());
  }
  return load_config_from_string(text, path);
}

}  // namespace fairwatch::config
