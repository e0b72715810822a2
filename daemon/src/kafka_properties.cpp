// librdkafka properties from `source.kafka`: secret resolution, checked
// conf->set, redaction of error texts, and librdkafka's log lines.
#include <librdkafka/rdkafkacpp.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "fairwatch/daemon/kafka_source.h"
#include "fairwatch/daemon/log.h"

namespace fairwatch::daemon {
namespace {

constexpr std::string_view kFileSuffix = "_file";

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "${NAME}" → NAME; nullopt for any other value.
std::optional<std::string> env_reference(std::string_view value) {
  if (value.size() < 4 || value.substr(0, 2) != "${" || value.back() != '}') return std::nullopt;
  const std::string_view name = value.substr(2, value.size() - 3);
  if (name.find_first_of("${}") != std::string_view::npos) return std::nullopt;
  return std::string(name);
}

// The file's contents minus one trailing newline; nullopt (and `error`) when unreadable.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) {
    error = "read error";
    return std::nullopt;
  }
  if (ends_with(contents, "\r\n")) {
    contents.resize(contents.size() - 2);
  } else if (ends_with(contents, "\n")) {
    contents.pop_back();
  }
  return contents;
}

}  // namespace

std::variant<KafkaProperties, std::string> resolve_kafka_properties(
    const std::map<std::string, std::string>& properties, const EnvLookup& env) {
  const EnvLookup& lookup = env ? env : EnvLookup(process_env);
  std::map<std::string, std::string> resolved;
  for (const auto& [key, raw_value] : properties) {
    std::string value = raw_value;
    if (const auto name = env_reference(raw_value)) {
      auto from_env = lookup(*name);
      if (!from_env) {
        return "property '" + key + "': environment variable " + *name + " is not set";
      }
      value = std::move(*from_env);
    }
    std::string target = key;
    if (ends_with(key, kFileSuffix) && key.size() > kFileSuffix.size()) {
      target = key.substr(0, key.size() - kFileSuffix.size());
      if (properties.contains(target)) {
        return "property '" + key + "': '" + target + "' is also set; give only one of them";
      }
      std::string error;
      auto contents = read_secret_file(value, error);
      if (!contents) return "property '" + key + "': cannot read " + value + ": " + error;
      value = std::move(*contents);
    }
    resolved[target] = std::move(value);
  }
  return KafkaProperties(resolved.begin(), resolved.end());
}

std::optional<std::string> set_kafka_property(RdKafka::Conf& conf, const std::string& key,
                                              const std::string& value) {
  std::string librdkafka_error;
  switch (conf.set(key, value, librdkafka_error)) {
    case RdKafka::Conf::CONF_OK:
      return std::nullopt;
    case RdKafka::Conf::CONF_UNKNOWN:
      return "unknown Kafka property '" + key + "'";
    case RdKafka::Conf::CONF_INVALID:
      break;
  }
  std::string message = "invalid value for Kafka property '" + key + "'";
  if (!librdkafka_error.empty() && !value.empty() &&
      librdkafka_error.find(value) == std::string::npos) {
    message += ": " + librdkafka_error;
  }
  return message;
}

std::variant<KafkaProperties, std::string> kafka_client_properties(
    const config::KafkaConfig& config) {
  auto resolved = resolve_kafka_properties(config.properties);
  if (resolved.index() == 1) return std::get<1>(resolved);
  KafkaProperties properties{{"bootstrap.servers", config.brokers}};
  for (auto& entry : std::get<0>(resolved)) properties.push_back(std::move(entry));
  return properties;
}

std::string redact_kafka_text(std::string text, const KafkaProperties& properties) {
  static constexpr std::string_view kRedacted = "[redacted]";
  for (const auto& [key, value] : properties) {
    if (value.size() < 3) continue;
    for (auto at = text.find(value); at != std::string::npos;
         at = text.find(value, at + kRedacted.size())) {
      text.replace(at, value.size(), kRedacted);
    }
  }
  return text;
}

void log_kafka_event(const RdKafka::Event& event, std::string_view client) {
  const std::string facility = event.fac();
  const std::string text = event.str();
  const int severity = event.severity();
  if (severity >= RdKafka::Event::EVENT_SEVERITY_DEBUG) {
    Log::global().debug("librdkafka",
                        {{"client", client}, {"facility", facility}, {"detail", text}});
    return;
  }
  const LogLevel level = severity <= RdKafka::Event::EVENT_SEVERITY_ERROR     ? LogLevel::error
                         : severity == RdKafka::Event::EVENT_SEVERITY_WARNING ? LogLevel::warning
                                                                              : LogLevel::info;
  if (level == LogLevel::info) {
    Log::global().info("librdkafka",
                       {{"client", client}, {"facility", facility}, {"detail", text}});
    return;
  }
  std::string key = "librdkafka:";
  key += client;
  key += ':';
  key += facility;
  Log::global().write_limited(key, std::chrono::seconds(10), level, "librdkafka",
                              {{"client", client}, {"facility", facility}, {"detail", text}});
}

}  // namespace fairwatch::daemon
