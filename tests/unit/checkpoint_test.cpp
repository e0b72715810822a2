#include "fairwatch/daemon/checkpoint.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/report.h"
#include "fairwatch/daemon/report_format.h"
#include "fairwatch/daemon/score_accumulator.h"
#include "fairwatch/detectors/dedupe_filter.h"
#include "fairwatch/detectors/sliding_group_window.h"
#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {
namespace {

using detectors::StateReader;
using detectors::StateWriter;

constexpr std::int64_t kHourMs = 3'600'000;
// 2026-11-20T00:00:00Z
constexpr std::int64_t kStartMs = 1'795'132'800'000;

config::Config small_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.events.allowed_lateness_seconds = 3600;
  config.events.dedupe_horizon_seconds = 86400;
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0},
                       {"age_band", "/attributes/age_band", {"<40", "40+"}, 0}};
  config.intersections = {{"sex", "age_band"}};
  config.windows = {{"1h", 3600}, {"24h", 86400}};
  config.statistics.min_group_size = 0;
  config.scores.bins = 10;
  return config;
}

// The smallest useful shape, for the byte-by-byte tests.
config::Config tiny_config() {
  config::Config config;
  config.events.favourable = {"selected"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {{"sex", "/attributes/sex", {"female", "male"}, 0}};
  config.windows = {{"1h", 3600}};
  config.statistics.min_group_size = 0;
  config.scores.bins = 2;
  return config;
}

std::string rfc3339(std::int64_t time_ms) {
  return format_rfc3339(time_ms);
}

struct Event {
  std::string id;
  std::int64_t time_ms = kStartMs;
  std::string sex = "female";
  std::string age = "<40";
  bool selected = true;
  std::string requisition = "req-1";
  double score = -1;  // < 0: none
  std::string stage = "screening";
};

std::string json_of(const Event& e) {
  std::string json = "{\"event_id\":\"" + e.id + "\",\"timestamp\":\"" + rfc3339(e.time_ms) +
                     "\",\"system\":\"cv\",\"stage\":\"" + e.stage + "\",\"decision\":\"" +
                     (e.selected ? "selected" : "rejected") + "\"";
  if (!e.requisition.empty()) json += ",\"requisition\":\"" + e.requisition + "\"";
  if (e.score >= 0) {
    char score[32];
    std::snprintf(score, sizeof score, ",\"score\":%.3f", e.score);
    json += score;
  }
  json += ",\"attributes\":{\"sex\":\"" + e.sex + "\",\"age_band\":\"" + e.age + "\"}}";
  return json;
}

// A deterministic mix of events: groups, strata, scores, selections.
std::vector<Event> mixed_events(int count, int first_id, std::int64_t start_ms,
                                std::int64_t step_ms, std::uint32_t seed) {
  std::mt19937 random(seed);
  static const char* kSexes[] = {"female", "male", "robot"};
  static const char* kAges[] = {"<40", "40+", ""};
  static const char* kStages[] = {"screening", "interview"};
  std::vector<Event> events;
  for (int i = 0; i < count; ++i) {
    Event e;
    e.id = "e" + std::to_string(first_id + i);
    e.time_ms = start_ms + i * step_ms;
    e.sex = kSexes[random() % 3];
    e.age = kAges[random() % 3];
    e.selected = random() % 3 == 0;
    e.requisition = random() % 5 == 0 ? "" : "req-" + std::to_string(random() % 7);
    e.score = random() % 4 == 0 ? -1 : static_cast<double>(random() % 1001) / 1000.0;
    e.stage = kStages[random() % 2];
    events.push_back(e);
  }
  return events;
}

std::string report_json(const Engine& engine) {
  ReportOptions options;
  options.by_stratum = true;
  return format_json(build_report(engine, options));
}

void feed(Engine& engine, const std::vector<Event>& events) {
  for (const Event& e : events) engine.offer(json_of(e));
}

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// Replaces the trailing CRC so that a deliberately modified file passes it.
void fix_crc(std::string& file) {
  const std::uint32_t crc = crc32(std::string_view(file).substr(0, file.size() - 4));
  for (int i = 0; i < 4; ++i)
    file[file.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

bool untouched(const Engine& engine) {
  return engine.counters().read == 0 && engine.stages().empty() &&
         engine.watermark_ms() == INT64_MIN;
}

class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = testing::TempDir() + "/fairwatch-checkpoint-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDirectory() {
    ::chmod(path_.c_str(), 0700);
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string bytes(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// ---- StateCodec -------------------------------------------------------------

TEST(StateCodec, RoundTripsEveryType) {
  StateWriter writer;
  writer.write_u8(0xab);
  writer.write_bool(true);
  writer.write_u32(0xdeadbeef);
  writer.write_i32(-7);
  writer.write_u64(0x0123456789abcdefULL);
  writer.write_i64(INT64_MIN);
  writer.write_f64(-0.0);
  writer.write_f64(std::numeric_limits<double>::quiet_NaN());
  writer.write_string("héllo");
  writer.write_string("");
  const std::vector<std::uint32_t> u32s = {1, 2, 0xffffffff};
  const std::vector<std::int64_t> i64s = {INT64_MIN, -1, INT64_MAX};
  const std::vector<double> f64s = {0.1, -2.5e300, 5e-324};
  const std::vector<detectors::Counts32> counts32 = {{3, 1}, {0, 0}, {0xffffffff, 7}};
  const std::vector<detectors::Counts> counts = {{1ULL << 40, 3}};
  writer.write_array(std::span<const std::uint32_t>(u32s));
  writer.write_array(std::span<const std::int64_t>(i64s));
  writer.write_array(std::span<const double>(f64s));
  writer.write_array(std::span<const detectors::Counts32>(counts32));
  writer.write_array(std::span<const detectors::Counts>(counts));
  writer.write_u64(42);

  // Little-endian on the wire, whatever the host.
  EXPECT_EQ(writer.bytes().substr(2, 4), std::string("\xef\xbe\xad\xde", 4));

  StateReader reader(writer.bytes());
  std::uint8_t u8 = 0;
  bool flag = false;
  std::uint32_t u32 = 0;
  std::int32_t i32 = 0;
  std::uint64_t u64 = 0;
  std::int64_t i64 = 0;
  double negative_zero = 1;
  double nan = 0;
  std::string text;
  std::string empty = "x";
  ASSERT_TRUE(reader.read_u8(u8) && reader.read_bool(flag) && reader.read_u32(u32) &&
              reader.read_i32(i32) && reader.read_u64(u64) && reader.read_i64(i64) &&
              reader.read_f64(negative_zero) && reader.read_f64(nan) && reader.read_string(text) &&
              reader.read_string(empty));
  EXPECT_EQ(u8, 0xab);
  EXPECT_TRUE(flag);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(i32, -7);
  EXPECT_EQ(u64, 0x0123456789abcdefULL);
  EXPECT_EQ(i64, INT64_MIN);
  EXPECT_TRUE(std::signbit(negative_zero) && negative_zero == 0.0);
  EXPECT_TRUE(std::isnan(nan));
  EXPECT_EQ(text, "héllo");
  EXPECT_EQ(empty, "");
  std::vector<std::uint32_t> u32s_back(3);
  std::vector<std::int64_t> i64s_back(3);
  std::vector<double> f64s_back;
  std::vector<detectors::Counts32> counts32_back(3);
  std::vector<detectors::Counts> counts_back(1);
  ASSERT_TRUE(reader.read_array(std::span<std::uint32_t>(u32s_back)));
  ASSERT_TRUE(reader.read_array(std::span<std::int64_t>(i64s_back)));
  ASSERT_TRUE(reader.read_vector(f64s_back, 3));
  ASSERT_TRUE(reader.read_array(std::span<detectors::Counts32>(counts32_back)));
  ASSERT_TRUE(reader.read_array(std::span<detectors::Counts>(counts_back)));
  EXPECT_EQ(u32s_back, u32s);
  EXPECT_EQ(i64s_back, i64s);
  EXPECT_EQ(f64s_back, f64s);
  EXPECT_EQ(counts32_back[2].applicants, 0xffffffffu);
  EXPECT_EQ(counts32_back[2].selected, 7u);
  EXPECT_EQ(counts_back, counts);
  ASSERT_TRUE(reader.read_u64(u64));
  EXPECT_EQ(u64, 42u);
  EXPECT_TRUE(reader.at_end());
}

TEST(StateCodec, TruncationFailsEveryReadAndStaysFailed) {
  StateWriter writer;
  writer.write_u64(7);
  writer.write_string("abcdef");
  const std::vector<double> values = {1, 2, 3};
  writer.write_array(std::span<const double>(values));
  const std::string& bytes = writer.bytes();
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    StateReader reader(std::string_view(bytes).substr(0, length));
    std::uint64_t number = 0;
    std::string text;
    std::vector<double> back(3);
    const bool all = reader.read_u64(number) && reader.read_string(text) &&
                     reader.read_array(std::span<double>(back));
    EXPECT_FALSE(all) << length;
    EXPECT_TRUE(reader.failed());
    std::uint8_t byte = 0;
    EXPECT_FALSE(reader.read_u8(byte));
    EXPECT_FALSE(reader.at_end());
  }
}

TEST(StateCodec, AbsurdLengthsAndWrongCountsFailWithoutAllocating) {
  {
    StateWriter writer;
    writer.write_u64(std::uint64_t{1} << 62);  // a string "longer" than the input
    writer.write_raw("abc");
    StateReader reader(writer.bytes());
    std::string text;
    EXPECT_FALSE(reader.read_string(text));
    EXPECT_TRUE(reader.failed());
  }
  {
    StateWriter writer;
    writer.write_u64(UINT64_MAX);  // count × 8 would overflow
    StateReader reader(writer.bytes());
    std::vector<std::uint64_t> values;
    EXPECT_FALSE(reader.read_vector(values, UINT64_MAX));
    EXPECT_TRUE(values.empty());
  }
  {
    const std::vector<std::uint32_t> values = {1, 2, 3};
    StateWriter writer;
    writer.write_array(std::span<const std::uint32_t>(values));
    StateReader reader(writer.bytes());
    std::vector<std::uint32_t> two(2);
    EXPECT_FALSE(reader.read_array(std::span<std::uint32_t>(two)));  // count 3, expected 2
  }
  {
    StateWriter writer;
    writer.write_u8(2);
    StateReader reader(writer.bytes());
    bool flag = false;
    EXPECT_FALSE(reader.read_bool(flag));
  }
  {
    StateWriter writer;
    writer.write_u64(5);
    writer.write_raw(std::string(5 * 16, '\0'));
    StateReader reader(writer.bytes());
    std::uint64_t count = 0;
    EXPECT_TRUE(reader.read_count(count, 5, 16));
    StateReader again(writer.bytes());
    EXPECT_FALSE(again.read_count(count, 4, 16));  // over the caller's maximum
    StateReader fitting(writer.bytes());
    EXPECT_FALSE(fitting.read_count(count, 100, 17));  // 5 × 17 bytes do not remain
  }
}

TEST(StateCodec, RandomBytesNeverCrashTheReader) {
  std::mt19937 random(20261120);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    // Small counts are likelier to be read as valid: plant some.
    if (bytes.size() >= 8 && random() % 2 == 0) {
      for (int i = 1; i < 8; ++i) bytes[i] = 0;
      bytes[0] = static_cast<char>(random() % 8);
    }
    StateReader reader(bytes);
    std::vector<std::uint64_t> vector;
    std::vector<double> fixed(static_cast<std::size_t>(random() % 4));
    std::string text;
    for (int op = 0; op < 12 && !reader.failed(); ++op) {
      std::uint64_t number = 0;
      std::int32_t small = 0;
      bool flag = false;
      std::uint64_t count = 0;
      StateReader section(std::string_view{});
      switch (random() % 8) {
        case 0:
          reader.read_u64(number);
          break;
        case 1:
          reader.read_i32(small);
          break;
        case 2:
          reader.read_bool(flag);
          break;
        case 3:
          reader.read_string(text);
          break;
        case 4:
          reader.read_vector(vector, 1000);
          break;
        case 5:
          reader.read_array(std::span<double>(fixed));
          break;
        case 6:
          reader.read_count(count, 1000, 4);
          break;
        case 7:
          if (reader.read_u64(number) && reader.read_section(number, section)) {
            section.read_string(text);
          }
          break;
      }
    }
    EXPECT_LE(reader.position(), bytes.size());
  }
}

TEST(StateCodec, SlidingWindowRoundTripsExactlyAndChecksItsShape) {
  detectors::SlidingGroupWindow window(3600'000, 60, 4, 5);
  const std::uint32_t slots_a[] = {0, 2};
  const std::uint32_t slots_b[] = {1, 3};
  std::int64_t watermark = 0;
  for (int i = 0; i < 500; ++i) {
    const std::int64_t t = kStartMs + i * 7'000;
    watermark = std::max(watermark, t);
    window.add(t, watermark, i % 2 ? slots_a : slots_b, i % 3 == 0, i % 7 == 0 ? -1 : i % 5,
               (i % 5) / 5.0);
  }
  StateWriter writer;
  window.encode(writer);
  detectors::SlidingGroupWindow copy(3600'000, 60, 4, 5);
  StateReader reader(writer.bytes());
  ASSERT_TRUE(copy.decode(reader));
  EXPECT_TRUE(reader.at_end());
  const auto same = [&](std::int64_t at) {
    std::vector<detectors::Counts> a(4), b(4);
    window.counts(at, a);
    copy.counts(at, b);
    EXPECT_EQ(a, b);
    for (std::size_t slot = 0; slot < 4; ++slot) {
      detectors::ScoreSummary sa(5), sb(5);
      window.accumulate_scores(at, slot, sa);
      copy.accumulate_scores(at, slot, sb);
      EXPECT_EQ(sa.count, sb.count);
      EXPECT_EQ(sa.sum, sb.sum);
      EXPECT_EQ(sa.sum_squares, sb.sum_squares);
      EXPECT_EQ(sa.histogram, sb.histogram);
    }
  };
  same(watermark);
  // Both continue identically, sliding over recycled buckets.
  for (int i = 0; i < 300; ++i) {
    const std::int64_t t = watermark + i * 20'000;
    window.add(t, t, slots_a, true, i % 5, 0.5);
    copy.add(t, t, slots_a, true, i % 5, 0.5);
    same(t);
  }

  for (const auto& other : {detectors::SlidingGroupWindow(7200'000, 60, 4, 5),
                            detectors::SlidingGroupWindow(3600'000, 30, 4, 5),
                            detectors::SlidingGroupWindow(3600'000, 60, 5, 5),
                            detectors::SlidingGroupWindow(3600'000, 60, 4, 6)}) {
    detectors::SlidingGroupWindow target = other;
    StateReader again(writer.bytes());
    EXPECT_FALSE(target.decode(again));
    EXPECT_TRUE(again.failed());
  }
}

TEST(StateCodec, DedupeFilterRemembersIdsAcrossTheRoundTrip) {
  detectors::DedupeFilter filter(kHourMs, 1000);
  for (std::uint64_t id = 1; id <= 100; ++id) {
    EXPECT_FALSE(filter.seen_before(id, kStartMs + static_cast<std::int64_t>(id), kStartMs + 100));
  }
  StateWriter writer;
  filter.encode(writer);
  detectors::DedupeFilter copy(kHourMs, 1000);
  StateReader reader(writer.bytes());
  ASSERT_TRUE(copy.decode(reader));
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_TRUE(copy.seen_before(42, kStartMs + 42, kStartMs + 100));
  EXPECT_FALSE(copy.seen_before(101, kStartMs + 101, kStartMs + 101));
  // Past the horizon both forget the same ids.
  EXPECT_FALSE(copy.seen_before(7, kStartMs + 2 * kHourMs, kStartMs + 2 * kHourMs));

  // A smaller cap keeps the newest ids.
  detectors::DedupeFilter capped(kHourMs, 10);
  StateReader again(writer.bytes());
  ASSERT_TRUE(capped.decode(again));
  EXPECT_EQ(capped.size(), 10u);
  EXPECT_EQ(capped.evicted_early(), 90u);
  EXPECT_TRUE(capped.seen_before(100, kStartMs + 100, kStartMs + 100));

  // An id saved twice is inconsistent.
  StateWriter twice;
  twice.write_u64(0);
  twice.write_u64(2);
  for (int i = 0; i < 2; ++i) {
    twice.write_i64(kStartMs);
    twice.write_u64(5);
  }
  detectors::DedupeFilter broken(kHourMs, 1000);
  StateReader twice_reader(twice.bytes());
  EXPECT_FALSE(broken.decode(twice_reader));
  EXPECT_EQ(broken.size(), 0u);
}

TEST(StateCodec, ScoreAccumulatorContinuesExactly) {
  ScoreAccumulator original;
  std::mt19937 random(7);
  std::uniform_real_distribution<double> score(0, 1);
  for (int i = 0; i < 1000; ++i) original.add(score(random));
  StateWriter writer;
  original.encode(writer);
  ScoreAccumulator copy;
  StateReader reader(writer.bytes());
  ASSERT_TRUE(copy.decode(reader));
  EXPECT_TRUE(reader.at_end());
  for (int i = 0; i < 1000; ++i) {
    const double s = score(random);
    original.add(s);
    copy.add(s);
  }
  EXPECT_EQ(copy.count(), original.count());
  EXPECT_EQ(*copy.mean(), *original.mean());
  EXPECT_EQ(*copy.variance(), *original.variance());
  for (std::size_t q = 0; q < ScoreAccumulator::kProbabilities.size(); ++q) {
    EXPECT_EQ(*copy.quantile(q), *original.quantile(q)) << q;
  }
  // Truncated input leaves the accumulator as it was.
  StateReader truncated(std::string_view(writer.bytes()).substr(0, writer.size() - 1));
  ScoreAccumulator untouched_accumulator;
  untouched_accumulator.add(0.5);
  EXPECT_FALSE(untouched_accumulator.decode(truncated));
  EXPECT_EQ(untouched_accumulator.count(), 1u);
}

// ---- Checkpoint: engine round trip ------------------------------------------

TEST(Checkpoint, RestoredEngineReportsAndContinuesExactlyLikeTheOriginal) {
  const config::Config config = small_config();
  Engine original(config);
  feed(original, mixed_events(3000, 0, kStartMs, 37'000, 1));  // about 31 hours
  original.offer("{not json");
  original.offer(
      json_of(Event{.id = "e2990", .time_ms = kStartMs + 2990 * 37'000}));  // a duplicate
  ASSERT_GT(original.counters().duplicates, 0u);
  ASSERT_GT(original.stages().front()->strata.size(), 3u);

  Engine restored(config);
  const CheckpointPositions positions{"hiring.decisions", {{0, 1500}, {3, 42}}};
  const CheckpointLoadResult load =
      decode_checkpoint(encode_checkpoint(original, positions), restored);
  ASSERT_EQ(load.status, CheckpointLoad::loaded) << load.detail;
  EXPECT_EQ(load.positions, positions);
  EXPECT_EQ(report_json(restored), report_json(original));
  EXPECT_EQ(restored.counters().rejected_total(), 1u);
  // Saving the restored engine gives the same bytes.
  EXPECT_EQ(encode_checkpoint(restored, positions), encode_checkpoint(original, positions));

  const std::int64_t watermark = original.watermark_ms();
  std::vector<Event> further;
  // Duplicates of ids seen before the checkpoint: dedupe survived.
  for (int id : {10, 2000, 2999}) {
    Event e;
    e.id = "e" + std::to_string(id);
    e.time_ms = watermark - 1000;
    further.push_back(e);
  }
  // Late (beyond the allowed hour) and in-lateness events.
  further.push_back(Event{.id = "late-1", .time_ms = watermark - 5 * kHourMs, .selected = false});
  further.push_back(Event{.id = "late-2", .time_ms = watermark - kHourMs / 2, .score = 0.9});
  // New strata and a new stage.
  further.push_back(Event{.id = "new-1", .time_ms = watermark, .requisition = "req-new"});
  further.push_back(Event{.id = "new-2", .time_ms = watermark, .stage = "offer"});
  // Events that slide both windows over recycled buckets, and beyond the dedupe horizon.
  for (const Event& e : mixed_events(800, 100'000, watermark + 1000, 150'000, 2)) {
    further.push_back(e);
  }
  further.push_back(Event{.id = "e1", .time_ms = watermark + 40 * kHourMs});  // forgotten id
  for (const Event& e : further) {
    const OfferResult a = original.offer(json_of(e));
    const OfferResult b = restored.offer(json_of(e));
    ASSERT_EQ(a.outcome, b.outcome) << e.id;
    ASSERT_EQ(a.late, b.late) << e.id;
  }
  EXPECT_EQ(restored.counters().duplicates, original.counters().duplicates);
  // e2990 before the checkpoint; e2000 and e2999 after it. e10 and e1 were
  // older than the dedupe horizon.
  EXPECT_EQ(original.counters().duplicates, 3u);
  EXPECT_GT(original.counters().late, 0u);
  EXPECT_EQ(report_json(restored), report_json(original));
}

TEST(Checkpoint, EmptyEngineRoundTrips) {
  const config::Config config = small_config();
  Engine original(config);
  Engine restored(config);
  const CheckpointLoadResult load = decode_checkpoint(encode_checkpoint(original, {}), restored);
  ASSERT_EQ(load.status, CheckpointLoad::loaded) << load.detail;
  EXPECT_EQ(report_json(restored), report_json(original));
  EXPECT_EQ(restored.watermark_ms(), INT64_MIN);
}

TEST(Checkpoint, PositionsRoundTripThroughTheFile) {
  TempDirectory directory;
  const config::Config config = small_config();
  Engine original(config);
  feed(original, mixed_events(50, 0, kStartMs, 60'000, 3));
  CheckpointPositions positions;
  positions.topic = "hiring.decisions";
  for (std::int32_t p = 0; p < 64; ++p) positions.partitions.push_back({p, p * 1'000'003LL});
  positions.partitions.push_back({99, INT64_MAX});
  ASSERT_EQ(write_checkpoint(directory.path(), original, positions), "");
  Engine restored(config);
  const CheckpointLoadResult load = read_checkpoint(directory.path(), restored);
  ASSERT_EQ(load.status, CheckpointLoad::loaded) << load.detail;
  EXPECT_EQ(load.positions, positions);
  EXPECT_EQ(report_json(restored), report_json(original));
}

TEST(Checkpoint, ChecksumIsTheStandardCrc32) {
  const config::Config config = small_config();
  Engine engine(config);
  for (int events = 0; events < 40; events += 3) {
    feed(engine, mixed_events(3, events, kStartMs + events * 60'000, 1000, events));
    const std::string file = encode_checkpoint(engine, {"t", {}});
    std::uint32_t stored = 0;
    for (int i = 0; i < 4; ++i) {
      stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(file[file.size() - 4 + i]))
                << (8 * i);
    }
    EXPECT_EQ(stored, crc32(std::string_view(file).substr(0, file.size() - 4))) << events;
  }
}

// ---- Checkpoint: damage ------------------------------------------------------

std::string tiny_checkpoint(const config::Config& config) {
  Engine engine(config);
  for (int i = 0; i < 6; ++i) {
    engine.offer(json_of(Event{.id = "t" + std::to_string(i),
                               .time_ms = kStartMs + i * 60'000,
                               .sex = i % 2 ? "male" : "female",
                               .selected = i % 3 == 0,
                               .score = i / 6.0}));
  }
  return encode_checkpoint(engine, {"t", {{0, 6}}});
}

TEST(Checkpoint, EverySingleBitFlipIsCorrupt) {
  const config::Config config = tiny_config();
  const std::string file = tiny_checkpoint(config);
  ASSERT_LT(file.size(), 4096u);
  {
    Engine engine(config);
    ASSERT_EQ(decode_checkpoint(file, engine).status, CheckpointLoad::loaded);
  }
  Engine engine(config);
  std::string damaged = file;
  for (std::size_t byte = 0; byte < file.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      damaged[byte] = static_cast<char>(file[byte] ^ (1 << bit));
      const CheckpointLoadResult load = decode_checkpoint(damaged, engine);
      ASSERT_EQ(load.status, CheckpointLoad::corrupt) << byte << ":" << bit;
      ASSERT_FALSE(load.detail.empty());
      ASSERT_TRUE(untouched(engine)) << byte << ":" << bit;
    }
    damaged[byte] = file[byte];
  }
}

TEST(Checkpoint, EveryTruncationIsCorrupt) {
  const config::Config config = tiny_config();
  const std::string file = tiny_checkpoint(config);
  Engine engine(config);
  for (std::size_t length = 0; length < file.size(); ++length) {
    const CheckpointLoadResult load = decode_checkpoint(file.substr(0, length), engine);
    ASSERT_EQ(load.status, CheckpointLoad::corrupt) << length;
    ASSERT_TRUE(untouched(engine));
  }
  // Appended bytes too.
  EXPECT_EQ(decode_checkpoint(file + '\0', engine).status, CheckpointLoad::corrupt);
}

TEST(Checkpoint, DamagedFileOnDiskIsCorruptWithItsPath) {
  TempDirectory directory;
  const config::Config config = tiny_config();
  std::string file = tiny_checkpoint(config);
  file[file.size() / 2] ^= 0x10;
  write_bytes(directory.path() + "/checkpoint.bin", file);
  Engine engine(config);
  const CheckpointLoadResult load = read_checkpoint(directory.path(), engine);
  EXPECT_EQ(load.status, CheckpointLoad::corrupt);
  EXPECT_NE(load.detail.find("checkpoint.bin"), std::string::npos) << load.detail;
  EXPECT_NE(load.detail.find("checksum"), std::string::npos) << load.detail;
  EXPECT_TRUE(untouched(engine));

  write_bytes(directory.path() + "/checkpoint.bin", "PK\x03\x04 not ours at all");
  EXPECT_NE(read_checkpoint(directory.path(), engine).detail.find("bad magic"), std::string::npos);
}

// A CRC only catches accidents; the decoders themselves must survive any
// content. Every byte after the magic is changed (in turn: one bit flipped,
// the top bit flipped, set to 0, set to 0xff) and the CRC fixed to match.
TEST(Checkpoint, MutatedContentWithAValidChecksumNeverCrashes) {
  const config::Config config = tiny_config();
  const std::string file = tiny_checkpoint(config);
  int loaded = 0;
  int corrupt = 0;
  auto engine = std::make_unique<Engine>(config);
  std::string mutated = file;
  for (std::size_t byte = 8; byte + 4 < file.size(); ++byte) {
    const auto original = static_cast<unsigned char>(file[byte]);
    static constexpr int kKinds = 4;
    const unsigned char values[kKinds] = {static_cast<unsigned char>(original ^ 0x01),
                                          static_cast<unsigned char>(original ^ 0x80), 0x00, 0xff};
    const unsigned char value = values[byte % kKinds];
    if (value == original) continue;
    mutated[byte] = static_cast<char>(value);
    fix_crc(mutated);
    const CheckpointLoadResult load = decode_checkpoint(mutated, *engine);
    if (load.status == CheckpointLoad::loaded) {
      ++loaded;
      // Whatever was accepted must be usable.
      engine->offer(json_of(Event{.id = "after", .time_ms = kStartMs + kHourMs, .score = 0.5}));
      report_json(*engine);
      engine = std::make_unique<Engine>(config);
    } else {
      ++corrupt;
      ASSERT_FALSE(load.detail.empty());
      ASSERT_TRUE(untouched(*engine)) << byte;
    }
    mutated = file;
  }
  EXPECT_GT(corrupt, 0);
  EXPECT_GT(loaded, 0);  // e.g. a changed count or score is still a valid state
}

// ---- Checkpoint: compatibility -------------------------------------------------

CheckpointLoadResult load_under(const config::Config& saved, const config::Config& current) {
  Engine original(saved);
  feed(original, mixed_events(100, 0, kStartMs, 60'000, 4));
  Engine engine(current);
  CheckpointLoadResult load = decode_checkpoint(encode_checkpoint(original, {}), engine);
  if (load.status != CheckpointLoad::loaded) EXPECT_TRUE(untouched(engine));
  return load;
}

TEST(Checkpoint, IncompatibleWhenGroupsChangeSaysWhich) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.attributes[0].groups.push_back("non-binary");
  const CheckpointLoadResult load = load_under(saved, current);
  EXPECT_EQ(load.status, CheckpointLoad::incompatible);
  EXPECT_NE(load.detail.find("attributes: sex [female, male] → sex [female, male, non-binary]"),
            std::string::npos)
      << load.detail;
  EXPECT_EQ(load.detail.find("age_band"), std::string::npos) << load.detail;
}

TEST(Checkpoint, IncompatibleWhenWindowsChangeSaysWhich) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.windows[1] = {"7d", 604800};
  const CheckpointLoadResult load = load_under(saved, current);
  EXPECT_EQ(load.status, CheckpointLoad::incompatible);
  EXPECT_NE(load.detail.find("windows: 1h, 1d → 1h, 7d"), std::string::npos) << load.detail;
}

TEST(Checkpoint, IncompatibleWhenStratumFieldChangesSaysWhich) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.events.fields.stratum = "/job";
  CheckpointLoadResult load = load_under(saved, current);
  EXPECT_EQ(load.status, CheckpointLoad::incompatible);
  EXPECT_NE(load.detail.find("stratum field: /requisition → /job"), std::string::npos)
      << load.detail;
  current.events.fields.stratum = "";
  load = load_under(saved, current);
  EXPECT_NE(load.detail.find("stratum field: /requisition → none"), std::string::npos)
      << load.detail;
}

TEST(Checkpoint, IncompatibleWhenScoreBinsChangeSaysWhich) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.scores.bins = 20;
  const CheckpointLoadResult load = load_under(saved, current);
  EXPECT_EQ(load.status, CheckpointLoad::incompatible);
  EXPECT_NE(load.detail.find("score grid: 10 bins on [0, 1] → 20 bins on [0, 1]"),
            std::string::npos)
      << load.detail;
}

TEST(Checkpoint, IncompatibleWhenFieldsOrIntersectionsChange) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.attributes[1].field = "/candidate/age";
  current.intersections.clear();
  const CheckpointLoadResult load = load_under(saved, current);
  EXPECT_EQ(load.status, CheckpointLoad::incompatible);
  EXPECT_NE(load.detail.find("attribute fields: age_band /attributes/age_band → age_band "
                             "/candidate/age"),
            std::string::npos)
      << load.detail;
  EXPECT_NE(load.detail.find("intersections: sex*age_band → none"), std::string::npos)
      << load.detail;
}

TEST(Checkpoint, ShapeIgnoresWhatDoesNotChangeTheState) {
  const config::Config saved = small_config();
  config::Config current = saved;
  current.windows[1].name = "1d";  // same length
  current.statistics.min_group_size = 50;
  current.statistics.confidence = 0.99;
  current.events.favourable.push_back("offer");
  current.events.dedupe_horizon_seconds = 3600;
  EXPECT_EQ(state_shape_fingerprint(current), state_shape_fingerprint(saved));
  EXPECT_EQ(load_under(saved, current).status, CheckpointLoad::loaded);
}

TEST(Checkpoint, FingerprintIsStableAndTheDescriptionCanonical) {
  const config::Config config = small_config();
  EXPECT_EQ(state_shape_description(config),
            "attributes: sex [female, male]; age_band [<40, 40+]\n"
            "attribute fields: sex /attributes/sex; age_band /attributes/age_band\n"
            "intersections: sex*age_band\n"
            "windows: 1h, 1d\n"
            "stratum field: /requisition\n"
            "score grid: 10 bins on [0, 1]\n"
            "ring buckets: 60 per window, 30 per stratum of the plain attributes\n"
            "score quantiles: 0.1, 0.25, 0.5, 0.75, 0.9");
  // FNV-1a of the text above: persisted in files, so it must never drift.
  EXPECT_EQ(state_shape_fingerprint(config), 0x9a3406f8b691a061ULL);
  // Names that look like punctuation are quoted, so shapes stay distinct.
  config::Config one = config;
  one.attributes[0].groups = {"a, b"};
  config::Config two = config;
  two.attributes[0].groups = {"a", "b"};
  EXPECT_NE(state_shape_fingerprint(one), state_shape_fingerprint(two));
  EXPECT_NE(state_shape_description(one).find("sex [\"a, b\"]"), std::string::npos);
}

// ---- Checkpoint: files ---------------------------------------------------------

TEST(Checkpoint, NotFoundWithoutAFile) {
  TempDirectory directory;
  const config::Config config = tiny_config();
  Engine engine(config);
  EXPECT_EQ(read_checkpoint(directory.path(), engine).status, CheckpointLoad::not_found);
  EXPECT_EQ(read_checkpoint(directory.path() + "/never/created", engine).status,
            CheckpointLoad::not_found);
  EXPECT_TRUE(untouched(engine));
}

TEST(Checkpoint, LeftoverTempFileFromACrashIsIgnoredAndReplaced) {
  TempDirectory directory;
  const config::Config config = small_config();
  const std::string temp = directory.path() + "/checkpoint.bin.tmp";
  // A crash between creating the temporary file and the rename.
  write_bytes(temp, "half a checkp");
  ::chmod(temp.c_str(), 0400);
  Engine engine(config);
  EXPECT_EQ(read_checkpoint(directory.path(), engine).status, CheckpointLoad::not_found);

  Engine first(config);
  feed(first, mixed_events(100, 0, kStartMs, 60'000, 5));
  ASSERT_EQ(write_checkpoint(directory.path(), first, {"t", {{0, 100}}}), "");
  EXPECT_FALSE(std::filesystem::exists(temp));

  // A crash after a later write began: the old checkpoint.bin is still whole.
  write_bytes(temp, read_bytes(directory.path() + "/checkpoint.bin").substr(0, 100));
  Engine restored(config);
  const CheckpointLoadResult load = read_checkpoint(directory.path(), restored);
  ASSERT_EQ(load.status, CheckpointLoad::loaded) << load.detail;
  EXPECT_EQ(load.positions.partitions.front().next_offset, 100);
  EXPECT_EQ(report_json(restored), report_json(first));

  feed(first, mixed_events(100, 100, kStartMs + 100 * 60'000, 60'000, 6));
  ASSERT_EQ(write_checkpoint(directory.path(), first, {"t", {{0, 200}}}), "");
  EXPECT_FALSE(std::filesystem::exists(temp));
  Engine again(config);
  ASSERT_EQ(read_checkpoint(directory.path(), again).status, CheckpointLoad::loaded);
  EXPECT_EQ(report_json(again), report_json(first));
}

TEST(Checkpoint, CreatesTheDirectoryAndItsParents) {
  TempDirectory directory;
  const config::Config config = tiny_config();
  Engine engine(config);
  const std::string nested = directory.path() + "/var/lib/fairwatch/";
  ASSERT_EQ(write_checkpoint(nested, engine, {}), "");
  EXPECT_TRUE(std::filesystem::is_regular_file(nested + "checkpoint.bin"));
  Engine restored(config);
  EXPECT_EQ(read_checkpoint(nested, restored).status, CheckpointLoad::loaded);
}

TEST(Checkpoint, UnwritableDirectoryIsAnErrorNotACrash) {
  TempDirectory directory;
  const config::Config config = tiny_config();
  Engine engine(config);
  // A path through a regular file: fails even for root.
  write_bytes(directory.path() + "/file", "x");
  const std::string error = write_checkpoint(directory.path() + "/file/sub", engine, {});
  EXPECT_NE(error.find("Not a directory"), std::string::npos) << error;
  EXPECT_NE(error.find(directory.path()), std::string::npos) << error;

  if (::geteuid() != 0) {
    const std::string locked = directory.path() + "/locked";
    ASSERT_EQ(write_checkpoint(locked, engine, {}), "");
    const std::string before = read_bytes(locked + "/checkpoint.bin");
    ASSERT_EQ(::chmod(locked.c_str(), 0500), 0);
    feed(engine, mixed_events(10, 0, kStartMs, 60'000, 7));
    const std::string denied = write_checkpoint(locked, engine, {});
    EXPECT_NE(denied.find("Permission denied"), std::string::npos) << denied;
    EXPECT_EQ(read_bytes(locked + "/checkpoint.bin"), before);
    ::chmod(locked.c_str(), 0700);
  }
}

// ---- Checkpoint: a realistic state -------------------------------------------------
//
// Run with --gtest_also_run_disabled_tests --gtest_filter='CheckpointPerf*' in a
// release build: feeds 200k synthetic events through config/examples/demo.yaml
// (2 systems × 3 stages × 400 requisitions = 2,400 strata of 34 slots) and
// times write_checkpoint, decode_checkpoint (checksum and decoding of bytes
// in memory) and read_checkpoint (file read included), three rounds each.
TEST(CheckpointPerf, DISABLED_RealisticState) {
  auto loaded = config::load_config_file(FAIRWATCH_SOURCE_DIR "/config/examples/demo.yaml");
  ASSERT_TRUE(std::holds_alternative<config::Config>(loaded));
  const config::Config config = std::get<config::Config>(std::move(loaded));
  Engine engine(config);
  ASSERT_EQ(engine.layout().slot_count(), 34u);

  static const char* kSystems[] = {"cv-screener-v3", "video-interview"};
  static const char* kStages[] = {"screening", "interview", "offer"};
  static const char* kSexes[] = {"female", "male", "non-binary", "x"};
  static const char* kEthnicities[] = {"asian", "black", "mixed", "white", "other"};
  static const char* kAges[] = {"<25", "25-39", "40-54", "55+"};
  std::mt19937 random(42);
  const int kEvents = 200'000;
  const std::int64_t span_ms = 30LL * 24 * kHourMs;
  using Clock = std::chrono::steady_clock;
  const auto fed = Clock::now();
  for (int i = 0; i < kEvents; ++i) {
    // Mostly in order, some late, about 1% replayed ids.
    std::int64_t t = kStartMs + span_ms * i / kEvents;
    if (random() % 50 == 0) t -= static_cast<std::int64_t>(random() % (3 * kHourMs));
    const int id = random() % 100 == 0 && i > 10 ? i - 1 - static_cast<int>(random() % 10) : i;
    char json[512];
    std::snprintf(
        json, sizeof json,
        "{\"event_id\":\"ev-%07d\",\"timestamp\":\"%s\",\"system\":\"%s\","
        "\"stage\":\"%s\",\"requisition\":\"req-%u\",\"decision\":\"%s\","
        "\"score\":%.3f,\"attributes\":{\"sex\":\"%s\",\"ethnicity\":\"%s\","
        "\"age_band\":\"%s\",\"disability\":\"%s\"}}",
        id, rfc3339(t).c_str(), kSystems[random() % 2], kStages[random() % 3],
        static_cast<unsigned>(random() % 400), random() % 3 == 0 ? "selected" : "rejected",
        static_cast<double>(random() % 1000) / 1000.0, kSexes[random() % 4],
        kEthnicities[random() % 5], kAges[random() % 4], random() % 8 == 0 ? "yes" : "no");
    engine.offer(json);
  }
  const double feed_s = std::chrono::duration<double>(Clock::now() - fed).count();
  std::size_t strata = 0;
  for (const auto& stage : engine.stages()) strata += stage->strata.size();
  EXPECT_EQ(strata, 2400u);

  TempDirectory directory;
  const CheckpointPositions positions{"hiring.decisions", {{0, kEvents}}};
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf(
      "events %d (accepted %llu, duplicates %llu, late %llu) fed in %.2f s; stages %zu, "
      "strata %zu\n",
      kEvents, static_cast<unsigned long long>(engine.counters().accepted),
      static_cast<unsigned long long>(engine.counters().duplicates),
      static_cast<unsigned long long>(engine.counters().late), feed_s, engine.stages().size(),
      strata);
  for (int round = 0; round < 3; ++round) {
    const auto t0 = Clock::now();
    ASSERT_EQ(write_checkpoint(directory.path(), engine, positions), "");
    const auto t1 = Clock::now();
    const std::string bytes = read_bytes(directory.path() + "/checkpoint.bin");
    const auto t2 = Clock::now();
    {
      Engine decoded(config);
      ASSERT_EQ(decode_checkpoint(bytes, decoded).status, CheckpointLoad::loaded);
    }
    const auto t3 = Clock::now();
    Engine restored(config);
    const CheckpointLoadResult load = read_checkpoint(directory.path(), restored);
    const auto t4 = Clock::now();
    ASSERT_EQ(load.status, CheckpointLoad::loaded) << load.detail;
    if (round == 0) EXPECT_EQ(report_json(restored), report_json(engine));
    std::printf(
        "round %d: file %zu bytes (%.1f MiB); write_checkpoint %.1f ms; read file %.1f "
        "ms; decode_checkpoint %.1f ms; read_checkpoint %.1f ms\n",
        round, bytes.size(), bytes.size() / 1048576.0, ms(t1 - t0), ms(t2 - t1), ms(t3 - t2),
        ms(t4 - t3));
  }
}

}  // namespace
}  // namespace fairwatch::daemon
