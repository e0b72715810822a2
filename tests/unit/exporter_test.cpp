#include "fairwatch/daemon/exporter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/engine.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/sequential_monitor.h"
#include "fairwatch/daemon/version.h"
#include "http_client.h"

namespace fairwatch::daemon {
namespace {

using fairwatch::testing::http_get;
using fairwatch::testing::HttpResponse;
using Labels = std::map<std::string, std::string>;

constexpr std::int64_t kBaseEpochSeconds = 1795132800;  // 2026-11-20T00:00:00Z

// ---- The Prometheus text exposition format, as far as the tests need it.

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram, …
  std::vector<Sample> samples;
};

// Parses `name{a="x",b="y"} value` lines (label values with \\ \" \n escapes).
Exposition parse_exposition(const std::string& text) {
  Exposition result;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name, type;
      words >> hash >> kind >> name >> type;
      if (kind == "TYPE") result.types[name] = type;
      continue;
    }
    Sample sample;
    std::size_t at = line.find_first_of("{ ");
    sample.name = line.substr(0, at);
    if (at != std::string::npos && line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        const std::size_t equals = line.find('=', at);
        const std::string key = line.substr(at, equals - at);
        at = equals + 2;  // past ="
        std::string value;
        while (at < line.size() && line[at] != '"') {
          if (line[at] == '\\' && at + 1 < line.size()) {
            ++at;
            value.push_back(line[at] == 'n' ? '\n' : line[at]);
          } else {
            value.push_back(line[at]);
          }
          ++at;
        }
        sample.labels[key] = value;
        at += 1;  // past the closing quote
        if (at < line.size() && line[at] == ',') ++at;
      }
      ++at;  // past }
    }
    std::istringstream rest(line.substr(at));
    std::string value;
    rest >> value;
    sample.value = std::strtod(value.c_str(), nullptr);
    result.samples.push_back(std::move(sample));
  }
  return result;
}

// The samples of `name` whose labels include every one of `match`.
std::vector<const Sample*> find_samples(const Exposition& exposition, const std::string& name,
                                        const Labels& match) {
  std::vector<const Sample*> found;
  for (const Sample& sample : exposition.samples) {
    if (sample.name != name) continue;
    const bool all = std::all_of(match.begin(), match.end(), [&](const auto& label) {
      const auto it = sample.labels.find(label.first);
      return it != sample.labels.end() && it->second == label.second;
    });
    if (all) found.push_back(&sample);
  }
  return found;
}

// The value of the one sample of `name` matching `match`; nullopt when there
// is none (a test failure when there are several).
std::optional<double> value_of(const Exposition& exposition, const std::string& name,
                               const Labels& match) {
  const auto found = find_samples(exposition, name, match);
  if (found.empty()) return std::nullopt;
  EXPECT_EQ(found.size(), 1u) << name << " matches several series";
  return found.front()->value;
}

// ---- Engine input.

struct EventSpec {
  std::string system = "cv";
  std::string stage = "screening";
  int minute = 0;  // after kBaseEpochSeconds
  std::string sex;
  std::string ethnicity;
  bool selected = false;
  std::optional<double> score;
  std::string requisition = "req-1";
};

EventSpec at(int minute, const std::string& sex, const std::string& ethnicity) {
  EventSpec spec;
  spec.minute = minute;
  spec.sex = sex;
  spec.ethnicity = ethnicity;
  return spec;
}

std::string event_json(int id, const EventSpec& spec) {
  std::string json = "{\"event_id\":\"e" + std::to_string(id) +
                     "\",\"timestamp\":" + std::to_string(kBaseEpochSeconds + spec.minute * 60) +
                     ",\"system\":\"" + spec.system + "\",\"stage\":\"" + spec.stage +
                     "\",\"requisition\":\"" + spec.requisition + "\",\"decision\":\"" +
                     (spec.selected ? "selected" : "rejected") + "\"";
  if (spec.score) json += ",\"score\":" + std::to_string(*spec.score);
  json +=
      ",\"attributes\":{\"sex\":\"" + spec.sex + "\",\"ethnicity\":\"" + spec.ethnicity + "\"}}";
  return json;
}

class EventFeeder {
 public:
  explicit EventFeeder(Engine& engine) : engine_(engine) {}

  // Offers `count` events like `spec`, the first `selected` of them selected.
  // Selected events score 0.8 and rejected ones 0.3; requisitions alternate.
  void add(EventSpec spec, int count, int selected) {
    for (int i = 0; i < count; ++i) {
      spec.selected = i < selected;
      spec.score = spec.selected ? 0.8 : 0.3;
      spec.requisition = i % 2 == 0 ? "req-1" : "req-2";
      ASSERT_EQ(engine_.offer(event_json(next_id_++, spec)).outcome, Outcome::accepted);
    }
  }

 private:
  Engine& engine_;
  int next_id_ = 1;
};

config::Config sex_ethnicity_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0},
                       {"ethnicity", "/attributes/ethnicity", {"black", "white"}, 0}};
  config.intersections = {{"sex", "ethnicity"}};
  config.windows = {{"24h", 86400}};
  config.statistics.min_group_size = 5;
  config.exporter.listen = "127.0.0.1:0";
  config.exporter.score_buckets = {0.25, 0.5, 0.75, 1.0};
  return config;
}

// The known data set: per sex x ethnicity (applicants, selected):
//   male/white 6/4, male/black 6/2, female/white 6/2, female/black 6/1,
//   sex "robot" (unknown)/white 2/1.
void add_known_events(EventFeeder& feeder) {
  feeder.add(at(0, "male", "white"), 6, 4);
  feeder.add(at(10, "male", "black"), 6, 2);
  feeder.add(at(20, "female", "white"), 6, 2);
  feeder.add(at(30, "female", "black"), 6, 1);
  feeder.add(at(40, "robot", "white"), 2, 1);
}

std::unique_ptr<Exporter> start_exporter(const config::Config& config) {
  auto started = Exporter::start(config);
  if (auto* message = std::get_if<std::string>(&started)) {
    ADD_FAILURE() << "exporter did not start: " << *message;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<Exporter>>(started));
}

std::string scrape_text(const Exporter& exporter) {
  const HttpResponse response = http_get("127.0.0.1", exporter.port(), "/metrics");
  EXPECT_EQ(response.status, 200) << response.error;
  return response.body;
}

Exposition scrape(const Exporter& exporter) {
  return parse_exposition(scrape_text(exporter));
}

const GroupRow* find_row(const Report& report, const std::string& window,
                         const std::string& attribute, const std::string& group) {
  for (const GroupRow& row : report.groups) {
    if (row.window == window && row.attribute == attribute && row.group == group && !row.stratum) {
      return &row;
    }
  }
  return nullptr;
}

Labels group_labels(const std::string& attribute, const std::string& group,
                    const std::string& window) {
  return {{"system", "cv"},
          {"stage", "screening"},
          {"attribute", attribute},
          {"group", group},
          {"window", window}};
}

// ---- Tests.

TEST(Exporter, ServesExactValuesForKnownEvents) {
  const config::Config config = sex_ethnicity_config();
  Engine engine(config);
  EventFeeder feeder(engine);
  add_known_events(feeder);
  ASSERT_EQ(engine.offer("{broken").outcome, Outcome::rejected);
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);
  const Report report = build_report(engine, {});
  exporter->publish_statistics(report, engine);
  const Exposition metrics = scrape(*exporter);

  // Counters from the `all` window.
  const Labels female = {
      {"system", "cv"}, {"stage", "screening"}, {"attribute", "sex"}, {"group", "female"}};
  auto with = [](Labels labels, const std::string& key, const std::string& value) {
    labels[key] = value;
    return labels;
  };
  EXPECT_EQ(value_of(metrics, "fairwatch_decisions_total", with(female, "outcome", "selected")),
            3.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_decisions_total", with(female, "outcome", "rejected")),
            9.0);
  EXPECT_EQ(
      value_of(
          metrics, "fairwatch_decisions_total",
          {{"attribute", "sex*ethnicity"}, {"group", "female*black"}, {"outcome", "selected"}}),
      1.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_decisions_total",
                     {{"attribute", "sex"}, {"group", "unknown"}, {"outcome", "rejected"}}),
            1.0);
  double sex_total = 0;
  for (const Sample* s : find_samples(metrics, "fairwatch_decisions_total", {{"attribute", "sex"}}))
    sex_total += s->value;
  EXPECT_EQ(sex_total, 26.0);

  for (const std::string window : {"24h", "all"}) {
    const Labels f = group_labels("sex", "female", window);
    const Labels m = group_labels("sex", "male", window);
    EXPECT_EQ(value_of(metrics, "fairwatch_applicants", f), 12.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_selected", f), 3.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_selection_rate", f), 0.25) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_impact_ratio", f), 0.5) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_four_fifths_pass", f), 0.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_shortfall", f), 2.0) << window;  // 5(3+k)12 >= 4·6·12
    EXPECT_EQ(value_of(metrics, "fairwatch_scoring_rate", f), 0.25) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_scoring_impact_ratio", f), 0.5) << window;
    // The reference group.
    EXPECT_EQ(value_of(metrics, "fairwatch_impact_ratio", m), 1.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_four_fifths_pass", m), 1.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_shortfall", m), 0.0) << window;
    // Compared with itself: interval [1, 1] and p = 1 (stable series when the reference changes).
    EXPECT_EQ(value_of(metrics, "fairwatch_impact_ratio_lower", m), 1.0) << window;
    EXPECT_EQ(value_of(metrics, "fairwatch_impact_ratio_upper", m), 1.0) << window;
    for (const char* test : {"z", "fisher", "z_adjusted"}) {
      EXPECT_EQ(value_of(metrics, "fairwatch_p_value", with(m, "test", test)), 1.0) << window;
    }

    // Intervals and p-values as the report computed them.
    const GroupRow* row = find_row(report, window, "sex", "female");
    ASSERT_NE(row, nullptr);
    const auto& s = row->statistics;
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_selection_rate_lower", f),
                     s.selection_rate_interval->lower);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_selection_rate_upper", f),
                     s.selection_rate_interval->upper);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio_lower", f),
                     s.impact_ratio_interval->lower);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio_upper", f),
                     s.impact_ratio_interval->upper);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_p_value", with(f, "test", "z")),
                     s.z_test->p_value);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_p_value", with(f, "test", "fisher")),
                     *s.p_value_fisher);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_p_value", with(f, "test", "z_adjusted")),
                     *s.p_value_adjusted);
  }

  // Intersections: female*black 1/6 against male*white 4/6.
  const Labels fb = group_labels("sex*ethnicity", "female*black", "all");
  EXPECT_EQ(value_of(metrics, "fairwatch_applicants", fb), 6.0);
  EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio", fb), 0.25);
  EXPECT_EQ(value_of(metrics, "fairwatch_impact_ratio",
                     group_labels("sex*ethnicity", "male*white", "all")),
            1.0);

  // The unknown group: applicants, selected and rate only.
  const Labels unknown = group_labels("sex", "unknown", "all");
  EXPECT_EQ(value_of(metrics, "fairwatch_applicants", unknown), 2.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_selected", unknown), 1.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_selection_rate", unknown), 0.5);
  for (const Sample& sample : metrics.samples) {
    const auto group = sample.labels.find("group");
    if (group == sample.labels.end() || group->second != "unknown") continue;
    EXPECT_TRUE(sample.name == "fairwatch_applicants" || sample.name == "fairwatch_selected" ||
                sample.name == "fairwatch_selection_rate" ||
                sample.name == "fairwatch_decisions_total" ||
                sample.name.rfind("fairwatch_score_", 0) == 0)
        << sample.name << " for the unknown group";
  }

  // Attribute-wide tests as the report computed them.
  for (const AttributeRow& row : report.attributes) {
    if (row.attribute != "sex") continue;
    const Labels labels = {
        {"system", "cv"}, {"stage", "screening"}, {"attribute", "sex"}, {"window", row.window}};
    ASSERT_TRUE(row.chi_squared) << row.window;
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_chi_squared_p_value", labels),
                     row.chi_squared->p_value);
    ASSERT_TRUE(row.cmh) << row.window;
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_cmh_p_value", labels), row.cmh->test.p_value);
    EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_cmh_common_odds_ratio", labels),
                     *row.cmh->common_odds_ratio);
  }

  // Scores: female 3 x 0.8 and 9 x 0.3, buckets 0.25, 0.5, 0.75, 1 (cumulative).
  const std::vector<std::pair<std::string, double>> buckets = {
      {"0.25", 0}, {"0.5", 9}, {"0.75", 9}, {"1", 12}, {"+Inf", 12}};
  for (const auto& [le, count] : buckets) {
    EXPECT_EQ(value_of(metrics, "fairwatch_score_bucket", with(female, "le", le)), count) << le;
  }
  EXPECT_EQ(value_of(metrics, "fairwatch_score_count", female), 12.0);
  EXPECT_NEAR(*value_of(metrics, "fairwatch_score_sum", female), 3 * 0.8 + 9 * 0.3, 1e-9);

  // Event counters.
  EXPECT_EQ(value_of(metrics, "fairwatch_events_received_total", {}), 27.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_accepted_total", {}), 26.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_rejected_total", {{"reason", "not_json"}}), 1.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_rejected_total", {{"reason", "bad_score"}}), 0.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_duplicate_total", {}), 0.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_late_total", {}), 0.0);
  EXPECT_GT(*value_of(metrics, "fairwatch_exporter_publish_duration_seconds", {}), 0.0);
}

TEST(Exporter, CountersAndHistogramsGrowByDeltas) {
  const config::Config config = sex_ethnicity_config();
  Engine engine(config);
  EventFeeder feeder(engine);
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);
  feeder.add(at(0, "female", "white"), 4, 1);
  exporter->publish_statistics(build_report(engine, {}), engine);
  exporter->publish_statistics(build_report(engine, {}), engine);  // nothing new: no change
  feeder.add(at(5, "female", "white"), 3, 3);
  exporter->publish_statistics(build_report(engine, {}), engine);
  const Exposition metrics = scrape(*exporter);
  const Labels female = {{"attribute", "sex"}, {"group", "female"}};
  auto with = [](Labels labels, const std::string& key, const std::string& value) {
    labels[key] = value;
    return labels;
  };
  EXPECT_EQ(value_of(metrics, "fairwatch_decisions_total", with(female, "outcome", "selected")),
            4.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_decisions_total", with(female, "outcome", "rejected")),
            3.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_score_count", female), 7.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_score_bucket", with(female, "le", "0.5")), 3.0);
  EXPECT_NEAR(*value_of(metrics, "fairwatch_score_sum", female), 4 * 0.8 + 3 * 0.3, 1e-9);
  EXPECT_EQ(value_of(metrics, "fairwatch_events_received_total", {}), 7.0);

  // A report with lower totals (as after a restart from an older checkpoint)
  // leaves the counters where they were; later growth counts from there.
  Engine older(config);
  EventFeeder older_feeder(older);
  older_feeder.add(at(0, "female", "white"), 2, 2);
  exporter->publish_statistics(build_report(older, {}), older);
  Exposition after = scrape(*exporter);
  EXPECT_EQ(value_of(after, "fairwatch_decisions_total", with(female, "outcome", "selected")), 4.0);
  EXPECT_EQ(value_of(after, "fairwatch_events_received_total", {}), 7.0);
  older_feeder.add(at(1, "female", "white"), 1, 1);
  exporter->publish_statistics(build_report(older, {}), older);
  after = scrape(*exporter);
  EXPECT_EQ(value_of(after, "fairwatch_decisions_total", with(female, "outcome", "selected")), 5.0);
}

TEST(Exporter, RemovesRatiosWhenAGroupFallsBelowMinGroupSizeAndAddsThemBack) {
  const config::Config config = sex_ethnicity_config();  // min_group_size 5, window 24h
  Engine engine(config);
  EventFeeder feeder(engine);
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);
  const Labels female_24h = group_labels("sex", "female", "24h");
  const Labels female_all = group_labels("sex", "female", "all");

  feeder.add(at(0, "male", "white"), 10, 5);
  feeder.add(at(0, "female", "white"), 10, 4);
  exporter->publish_statistics(build_report(engine, {}), engine);
  Exposition metrics = scrape(*exporter);
  EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio", female_24h), 0.8);
  EXPECT_EQ(value_of(metrics, "fairwatch_four_fifths_pass", female_24h), 1.0);

  // 30 hours later only men apply: women leave the 24h window.
  feeder.add(at(30 * 60, "male", "white"), 10, 5);
  exporter->publish_statistics(build_report(engine, {}), engine);
  metrics = scrape(*exporter);
  EXPECT_EQ(value_of(metrics, "fairwatch_applicants", female_24h), 0.0);
  for (const char* name :
       {"fairwatch_impact_ratio", "fairwatch_impact_ratio_lower", "fairwatch_impact_ratio_upper",
        "fairwatch_four_fifths_pass", "fairwatch_shortfall", "fairwatch_p_value",
        "fairwatch_selection_rate", "fairwatch_scoring_impact_ratio"}) {
    EXPECT_FALSE(value_of(metrics, name, female_24h)) << name;
  }
  EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio", female_all), 0.8);

  // Three women: counted, still no ratio.
  feeder.add(at(31 * 60, "female", "white"), 3, 1);
  exporter->publish_statistics(build_report(engine, {}), engine);
  metrics = scrape(*exporter);
  EXPECT_EQ(value_of(metrics, "fairwatch_applicants", female_24h), 3.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_selected", female_24h), 1.0);
  EXPECT_FALSE(value_of(metrics, "fairwatch_impact_ratio", female_24h));
  EXPECT_FALSE(value_of(metrics, "fairwatch_p_value", female_24h));

  // Five: the ratio is back. 24h: female 2/5 against male 5/10.
  feeder.add(at(31 * 60 + 1, "female", "white"), 2, 1);
  exporter->publish_statistics(build_report(engine, {}), engine);
  metrics = scrape(*exporter);
  EXPECT_DOUBLE_EQ(*value_of(metrics, "fairwatch_impact_ratio", female_24h), 0.8);
  EXPECT_EQ(value_of(metrics, "fairwatch_four_fifths_pass", female_24h), 1.0);
  EXPECT_EQ(find_samples(metrics, "fairwatch_p_value", female_24h).size(), 3u);
}

TEST(Exporter, HealthAndReadinessEndpoints) {
  const config::Config config = sex_ethnicity_config();
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);
  const int port = exporter->port();
  ASSERT_GT(port, 0);

  HttpResponse health = http_get("127.0.0.1", port, "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.body, "ok");

  HttpResponse ready = http_get("127.0.0.1", port, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, "starting");

  exporter->set_ready(false, "no checkpoint yet");
  ready = http_get("127.0.0.1", port, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, "no checkpoint yet");

  exporter->set_ready(true, "");
  ready = http_get("127.0.0.1", port, "/readyz?verbose=1");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready");
  EXPECT_EQ(ready.headers["content-type"], "text/plain; charset=utf-8");

  health = http_get("127.0.0.1", port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(http_get("127.0.0.1", port, "/metrics").status, 200);
  EXPECT_EQ(http_get("127.0.0.1", port, "/nothing-here").status, 404);
}

TEST(Exporter, StartReportsAnAddressInUse) {
  config::Config config = sex_ethnicity_config();
  auto first = start_exporter(config);
  ASSERT_NE(first, nullptr);
  config.exporter.listen = "127.0.0.1:" + std::to_string(first->port());
  auto second = Exporter::start(config);
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  EXPECT_NE(std::get<std::string>(second).find(config.exporter.listen), std::string::npos)
      << std::get<std::string>(second);
  // The first one still serves.
  EXPECT_EQ(http_get("127.0.0.1", first->port(), "/healthz").status, 200);
}

// Serves `response` verbatim to one client on a loopback port, then closes.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      char request[4096];
      std::string seen;
      while (seen.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(client, request, sizeof request, 0);
        if (n <= 0) break;
        seen.append(request, static_cast<std::size_t>(n));
      }
      // In two writes, so the client has to join reads.
      const std::size_t half = response_.size() / 2;
      ::send(client, response_.data(), half, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ::send(client, response_.data() + half, response_.size() - half, MSG_NOSIGNAL);
      ::close(client);
    });
  }
  ~CannedHttpServer() {
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }

 private:
  std::string response_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(ExporterHttpClient, ReadsContentLengthChunkedAndCloseDelimitedBodies) {
  {
    CannedHttpServer server(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    const HttpResponse response = http_get("127.0.0.1", server.port(), "/");
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body, "hello");
    EXPECT_EQ(response.headers.at("content-type"), "text/plain");
  }
  {
    CannedHttpServer server(
        "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nnot \r\nB;ext=1\r\nready, yet.\r\n0\r\n\r\n");
    const HttpResponse response = http_get("127.0.0.1", server.port(), "/readyz");
    EXPECT_EQ(response.status, 503) << response.error;
    EXPECT_EQ(response.body, "not ready, yet.");
  }
  {
    CannedHttpServer server("HTTP/1.0 404 Not Found\r\n\r\nuntil the end");
    const HttpResponse response = http_get("127.0.0.1", server.port(), "/");
    EXPECT_EQ(response.status, 404) << response.error;
    EXPECT_EQ(response.body, "until the end");
  }
  {
    CannedHttpServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    const HttpResponse response = http_get("127.0.0.1", server.port(), "/");
    EXPECT_EQ(response.status, 0);
    EXPECT_NE(response.error.find("5 of 10"), std::string::npos) << response.error;
  }
  const HttpResponse refused = http_get("127.0.0.1", 1, "/");
  EXPECT_EQ(refused.status, 0);
  EXPECT_FALSE(refused.error.empty());
}

TEST(Exporter, StartRejectsUnsortedScoreBuckets) {
  config::Config config = sex_ethnicity_config();
  config.exporter.score_buckets = {0.5, 0.25};
  EXPECT_TRUE(std::holds_alternative<std::string>(Exporter::start(config)));
}

TEST(Exporter, OperationalMetrics) {
  const config::Config config = sex_ethnicity_config();
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);

  // Before anything is published: known series at 0, unknown ones absent.
  Exposition metrics = scrape(*exporter);
  for (RejectReason reason : kAllRejectReasons) {
    EXPECT_EQ(value_of(metrics, "fairwatch_events_rejected_total", {{"reason", to_string(reason)}}),
              0.0)
        << to_string(reason);
  }
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_connected", {}), 0.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_config_reloads_total", {{"result", "failure"}}), 0.0);
  EXPECT_FALSE(value_of(metrics, "fairwatch_kafka_consumer_lag_messages", {}));
  EXPECT_FALSE(value_of(metrics, "fairwatch_last_event_timestamp_seconds", {}));
  EXPECT_EQ(value_of(metrics, "fairwatch_build_info", {{"version", version()}}), 1.0);

  OperationalSnapshot snapshot;
  snapshot.kafka_connected = true;
  snapshot.topic = "hiring.decisions";
  snapshot.consumer_lag_messages = 42;
  snapshot.assigned_partitions = 3;
  snapshot.last_event_timestamp_seconds = 1795132800.5;
  snapshot.checkpoint_last_success_timestamp_seconds = 1795132801.25;
  snapshot.checkpoint_failures_total = 2;
  snapshot.config_reloads_total = 4;
  snapshot.config_reload_failures_total = 1;
  snapshot.kafka_errors_total = 5;
  snapshot.rebalances_total = 6;
  snapshot.dead_letter_failures_total = 7;
  exporter->publish_operations(snapshot);
  snapshot.kafka_errors_total = 8;
  exporter->publish_operations(snapshot);
  metrics = scrape(*exporter);
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_connected", {}), 1.0);
  EXPECT_EQ(
      value_of(metrics, "fairwatch_kafka_consumer_lag_messages", {{"topic", "hiring.decisions"}}),
      42.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_assigned_partitions", {}), 3.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_last_event_timestamp_seconds", {}), 1795132800.5);
  EXPECT_EQ(value_of(metrics, "fairwatch_checkpoint_last_success_timestamp_seconds", {}),
            1795132801.25);
  EXPECT_EQ(value_of(metrics, "fairwatch_checkpoint_failures_total", {}), 2.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_config_reloads_total", {{"result", "success"}}), 4.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_config_reloads_total", {{"result", "failure"}}), 1.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_errors_total", {}), 8.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_rebalances_total", {}), 6.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_dead_letter_failures_total", {}), 7.0);

  // Lag unknown again (e.g. partitions revoked): the series goes away.
  snapshot.consumer_lag_messages.reset();
  snapshot.kafka_connected = false;
  exporter->publish_operations(snapshot);
  metrics = scrape(*exporter);
  EXPECT_FALSE(value_of(metrics, "fairwatch_kafka_consumer_lag_messages", {}));
  EXPECT_EQ(value_of(metrics, "fairwatch_kafka_connected", {}), 0.0);
}

TEST(Exporter, AlertGaugesAndTransitionCounters) {
  const config::Config config = sex_ethnicity_config();
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);
  const auto active = [](const Exposition& metrics, const Labels& labels) {
    return value_of(metrics, "fairwatch_alert_active", labels);
  };
  // Operational alerts exist from the start at 0, with empty series labels.
  Exposition metrics = scrape(*exporter);
  const Labels empty = {
      {"system", ""}, {"stage", ""}, {"attribute", ""}, {"group", ""}, {"window", ""}};
  const std::vector<std::pair<std::string, std::string>> operational = {
      {"events_stale", "warning"},
      {"kafka_disconnected", "critical"},
      {"checkpoint_failing", "critical"},
      {"consumer_lag_growing", "warning"}};
  for (const auto& [alert, severity] : operational) {
    Labels labels = empty;
    labels["alert"] = alert;
    labels["severity"] = severity;
    EXPECT_EQ(active(metrics, labels), 0.0) << alert;
    EXPECT_EQ(find_samples(metrics, "fairwatch_alert_active", {{"alert", alert}}).size(), 1u);
  }
  EXPECT_EQ(value_of(metrics, "fairwatch_alert_transitions_total",
                     {{"alert", "adverse_impact"}, {"severity", "critical"}, {"to", "firing"}}),
            0.0);
  EXPECT_TRUE(
      find_samples(metrics, "fairwatch_alert_active", {{"alert", "adverse_impact"}}).empty());

  // A pending adverse-impact series has no child yet; a firing one has both.
  AlertLabels female{AlertKind::adverse_impact, "cv", "screening", "sex", "female", "24h"};
  AlertStatus status{&female, detectors::AlertPhase::pending, detectors::AlertSeverity::warning};
  exporter->publish_alerts({status}, {});
  EXPECT_TRUE(
      find_samples(scrape(*exporter), "fairwatch_alert_active", {{"alert", "adverse_impact"}})
          .empty());
  AlertEvent fired;
  fired.labels = female;
  fired.transition.change = detectors::AlertChange::fired;
  fired.transition.to = detectors::AlertPhase::firing;
  fired.severity = detectors::AlertSeverity::critical;
  status.phase = detectors::AlertPhase::firing;
  status.severity = detectors::AlertSeverity::critical;
  exporter->publish_alerts({status}, {fired});
  metrics = scrape(*exporter);
  const Labels series = {{"alert", "adverse_impact"}, {"system", "cv"},    {"stage", "screening"},
                         {"attribute", "sex"},        {"group", "female"}, {"window", "24h"}};
  Labels warning = series;
  warning["severity"] = "warning";
  Labels critical = series;
  critical["severity"] = "critical";
  EXPECT_EQ(active(metrics, critical), 1.0);
  EXPECT_EQ(active(metrics, warning), 0.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_alert_transitions_total",
                     {{"alert", "adverse_impact"}, {"severity", "critical"}, {"to", "firing"}}),
            1.0);

  AlertEvent resolved = fired;
  resolved.transition.change = detectors::AlertChange::resolved;
  resolved.transition.to = detectors::AlertPhase::inactive;
  status.phase = detectors::AlertPhase::inactive;
  exporter->publish_alerts({status}, {resolved});
  metrics = scrape(*exporter);
  EXPECT_EQ(active(metrics, critical), 0.0);
  EXPECT_EQ(active(metrics, warning), 0.0);
  EXPECT_EQ(value_of(metrics, "fairwatch_alert_transitions_total",
                     {{"alert", "adverse_impact"}, {"severity", "critical"}, {"to", "resolved"}}),
            1.0);
}

// An exporter that has published every metric it has: statistics (with
// strata, scores, intersections, unknown groups) and operations.
struct EveryMetric {
  config::Config config = sex_ethnicity_config();
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Exporter> exporter;

  EveryMetric() {
    engine = std::make_unique<Engine>(config);
    EventFeeder feeder(*engine);
    add_known_events(feeder);
    engine->offer("{broken");
    exporter = start_exporter(config);
    if (!exporter) return;
    const Report report = build_report(*engine, {});
    exporter->publish_statistics(report, *engine);
    // Enough decisions for finite confidence-sequence bounds on both sides.
    Engine large(config);
    EventFeeder large_feeder(large);
    large_feeder.add(at(0, "male", "white"), 400, 200);
    large_feeder.add(at(0, "female", "black"), 400, 150);
    SequentialMonitor sequential(config);
    exporter->publish_sequential(sequential.evaluate(build_report(large, {})));
    // A score row and a mix row, as the daemon builds them against a baseline.
    DriftRow score;
    score.window = "all";
    score.system = "cv";
    score.stage = "screening";
    score.attribute = "sex";
    score.group = "female";
    score.psi = 0.3;
    score.js_divergence = 0.05;
    score.ks_statistic = 0.2;
    score.ks_p_value = 1e-9;
    score.baseline_n = 500;
    score.current_n = 400;
    DriftRow mix = score;
    mix.group.reset();
    mix.subject = DriftSubject::mix;
    mix.ks_statistic.reset();
    mix.ks_p_value.reset();
    exporter->publish_drift({score, mix}, config.statistics.min_group_size);
    OperationalSnapshot snapshot;
    snapshot.kafka_connected = true;
    snapshot.topic = "hiring.decisions";
    snapshot.consumer_lag_messages = 0;
    snapshot.assigned_partitions = 1;
    snapshot.last_event_timestamp_seconds = 1795132800;
    snapshot.checkpoint_last_success_timestamp_seconds = 1795132800;
    exporter->publish_operations(snapshot);
  }
};

struct DocumentedMetric {
  std::string type;
  std::set<std::string> labels;
};

// Rows of the tables in docs/metrics.md: | `name` | type | `label`, … | …
// (`le` and `quantile` of histograms and summaries are implied).
std::map<std::string, DocumentedMetric> documented_metrics() {
  std::ifstream file(std::string(FAIRWATCH_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_TRUE(file.good()) << "docs/metrics.md is missing";
  std::map<std::string, DocumentedMetric> metrics;
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("| `fairwatch_", 0) != 0 && line.rfind("| `exposer_", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) cells.push_back(cell);
    if (cells.size() < 3) {
      ADD_FAILURE() << "malformed row: " << line;
      continue;
    }
    auto between_backticks = [](const std::string& text) {
      std::vector<std::string> found;
      for (std::size_t at = text.find('`'); at != std::string::npos;) {
        const std::size_t end = text.find('`', at + 1);
        if (end == std::string::npos) break;
        found.push_back(text.substr(at + 1, end - at - 1));
        at = text.find('`', end + 1);
      }
      return found;
    };
    const auto names = between_backticks(cells[0]);
    if (names.size() != 1) {
      ADD_FAILURE() << "expected one metric name in " << cells[0];
      continue;
    }
    DocumentedMetric metric;
    std::stringstream type(cells[1]);
    type >> metric.type;
    for (const std::string& label : between_backticks(cells[2])) metric.labels.insert(label);
    EXPECT_FALSE(metrics.count(names[0])) << names[0] << " documented twice";
    metrics[names[0]] = metric;
  }
  return metrics;
}

TEST(MetricsDoc, DocumentsExactlyTheExportedMetrics) {
  EveryMetric every;
  ASSERT_NE(every.exporter, nullptr);
  const Exposition metrics = scrape(*every.exporter);

  std::map<std::string, DocumentedMetric> exported;
  for (const auto& [name, type] : metrics.types) exported[name].type = type;
  for (const Sample& sample : metrics.samples) {
    std::string family = sample.name;
    if (!metrics.types.count(family)) {
      for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (family.size() > suffix.size() &&
            family.compare(family.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            metrics.types.count(family.substr(0, family.size() - suffix.size()))) {
          family.resize(family.size() - suffix.size());
          break;
        }
      }
    }
    ASSERT_TRUE(exported.count(family)) << sample.name << " has no # TYPE line";
    for (const auto& [label, value] : sample.labels) {
      if (label != "le" && label != "quantile") exported[family].labels.insert(label);
    }
  }

  const auto documented = documented_metrics();
  for (const auto& [name, metric] : exported) {
    const auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << name << " is exported but not documented in docs/metrics.md";
      continue;
    }
    EXPECT_EQ(it->second.type, metric.type) << name;
    EXPECT_EQ(it->second.labels, metric.labels) << name;
  }
  for (const auto& [name, metric] : documented) {
    EXPECT_TRUE(exported.count(name))
        << name << " is documented in docs/metrics.md but not exported";
  }
}

TEST(Exporter, PromtoolAcceptsTheMetrics) {
  EveryMetric every;
  ASSERT_NE(every.exporter, nullptr);
  const std::string text = scrape_text(*every.exporter);
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool is missing: install Debian's `prometheus` package (.ci/quickstart does)";
  const std::string path = ::testing::TempDir() + "/exporter_metrics.prom";
  std::ofstream(path) << text;
  FILE* pipe = ::popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

// The demo config (4 attributes + 1 intersection = 34 group slots, windows
// 1h, 24h, 7d, 30d and all) with 6 (system, stage) pairs: the publish cost.
TEST(Exporter, PublishTimeForTheDemoConfig) {
  auto loaded =
      config::load_config_file(std::string(FAIRWATCH_SOURCE_DIR) + "/config/examples/demo.yaml");
  ASSERT_TRUE(std::holds_alternative<config::Config>(loaded));
  config::Config config = std::get<config::Config>(loaded);
  config.exporter.listen = "127.0.0.1:0";
  Engine engine(config);

  std::mt19937 random(7);
  const std::vector<std::string> sexes = {"female", "male", "non-binary", "x"};
  const std::vector<std::string> ethnicities = {"asian", "black", "mixed", "white", "other"};
  const std::vector<std::string> ages = {"<25", "25-39", "40-54", "55+"};
  const std::vector<std::string> disabilities = {"yes", "no"};
  const std::vector<std::pair<std::string, std::string>> stages = {
      {"cv-screener", "screening"}, {"cv-screener", "assessment"}, {"cv-screener", "interview"},
      {"video-ai", "screening"},    {"video-ai", "assessment"},    {"video-ai", "interview"}};
  auto pick = [&](const std::vector<std::string>& values) {
    return values[random() % values.size()];
  };
  int next_event = 0;
  auto offer_events = [&](int count) {
    for (int n = 0; n < count; ++n, ++next_event) {
      const auto& [system, stage] = stages[random() % stages.size()];
      const double score = static_cast<double>(random() % 1000) / 1000.0;
      const std::string json =
          "{\"event_id\":\"p" + std::to_string(next_event) + "\",\"timestamp\":" +
          std::to_string(kBaseEpochSeconds + static_cast<std::int64_t>(next_event) * 45) +
          ",\"system\":\"" + system + "\",\"stage\":\"" + stage + "\",\"requisition\":\"req-" +
          std::to_string(random() % 20) + "\",\"decision\":\"" +
          (score > 0.6 ? "selected" : "rejected") + "\",\"score\":" + std::to_string(score) +
          ",\"attributes\":{\"sex\":\"" + pick(sexes) + "\",\"ethnicity\":\"" + pick(ethnicities) +
          "\",\"age_band\":\"" + pick(ages) + "\",\"disability\":\"" + pick(disabilities) + "\"}}";
      ASSERT_EQ(engine.offer(json).outcome, Outcome::accepted);
    }
  };
  offer_events(60'000);  // 31 days of events, 45 s apart
  auto exporter = start_exporter(config);
  ASSERT_NE(exporter, nullptr);

  using Clock = std::chrono::steady_clock;
  using Milliseconds = std::chrono::duration<double, std::milli>;
  auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  auto started = Clock::now();
  Report report = build_report(engine, {});
  const Milliseconds report_ms = Clock::now() - started;
  ASSERT_EQ(report.groups.size(), 6u * 34u * 5u);
  started = Clock::now();
  exporter->publish_statistics(report, engine);
  const Milliseconds first_ms = Clock::now() - started;

  // Once a second: some new events, a new report, a publish.
  std::vector<double> publish_ms;
  for (int i = 0; i < 10; ++i) {
    offer_events(500);
    report = build_report(engine, {});
    started = Clock::now();
    exporter->publish_statistics(report, engine);
    publish_ms.push_back(Milliseconds(Clock::now() - started).count());
  }
  std::vector<double> scrape_ms;
  std::string text;
  for (int i = 0; i < 3; ++i) {
    started = Clock::now();
    text = scrape_text(*exporter);
    scrape_ms.push_back(Milliseconds(Clock::now() - started).count());
  }
  const Exposition metrics = parse_exposition(text);

  std::printf(
      "[ publish  ] %zu group rows, %zu samples: build_report %.1f ms, first publish %.1f ms, "
      "publish (median of 10, 500 new events each) %.2f ms, scrape %.1f ms (%zu bytes)\n",
      report.groups.size(), metrics.samples.size(), report_ms.count(), first_ms.count(),
      median(publish_ms), median(scrape_ms), text.size());
  ::testing::Test::RecordProperty("publish_median_ms", std::to_string(median(publish_ms)));
  EXPECT_LT(median(publish_ms), 250.0) << "publish runs once a second";
}

}  // namespace
}  // namespace fairwatch::daemon
