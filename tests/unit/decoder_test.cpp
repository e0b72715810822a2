#include "fairwatch/daemon/decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {
namespace {

// Expected epoch values were computed independently with GNU date, e.g.
// `date -u -d 2026-11-20T10:00:00+05:30 +%s`.
constexpr std::int64_t k20261120T100000Z = 1795168800;
constexpr std::int64_t k20261120T100000p0530 = 1795149000;
constexpr std::int64_t k20261120T100000m0800 = 1795197600;
constexpr std::int64_t k20240229T235959Z = 1709251199;
constexpr std::int64_t k20000229T000000Z = 951782400;
constexpr std::int64_t k99991231T235959Z = 253402300799;
constexpr std::int64_t k20161231T235959Z = 1483228799;
constexpr std::int64_t k20260101T003000p0100 = 1767223800;

constexpr std::int64_t ms(std::int64_t seconds) {
  return seconds * 1000;
}

constexpr std::string_view kEvent =
    R"({"event_id": "3f1c", "timestamp": "2026-11-20T10:00:00Z", "system": "cv-screener-v3",)"
    R"( "stage": "screening", "requisition": "req-1042", "decision": "selected", "score": 0.73,)"
    R"( "attributes": {"sex": "female", "ethnicity": "black", "age_band": "40-54"}})";

config::Config test_config() {
  config::Config config;
  config.events.favourable = {"selected", "advance", "offer"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {
      {"sex", "/attributes/sex", {"female", "male", "non-binary"}},
      {"ethnicity", "/attributes/ethnicity", {"asian", "black", "mixed", "white", "other"}},
      {"age_band", "/attributes/age_band", {"<25", "25-39", "40-54", "55+"}},
  };
  return config;
}

// Builds an event from the default one by replacing a `"key": value` member's
// value text (or deleting the member when `value` is nullopt).
std::string with(std::string_view key, std::optional<std::string_view> value,
                 std::string event = std::string(kEvent)) {
  const std::string needle = "\"" + std::string(key) + "\": ";
  const std::size_t start = event.find(needle);
  EXPECT_NE(start, std::string::npos) << key;
  std::size_t end = start + needle.size();
  if (event[end] == '"') {
    end = event.find('"', end + 1) + 1;
  } else if (event[end] == '{') {
    end = event.find('}', end) + 1;
  } else {
    end = event.find_first_of(",}", end);
  }
  if (value) return event.replace(start + needle.size(), end - start - needle.size(), *value);
  // Remove the member and the separator after it (or before it when last).
  if (event[end] == ',') return event.erase(start, end + 2 - start);
  const std::size_t comma = event.rfind(',', start);
  return event.erase(comma, end - comma);
}

class DecoderTest : public ::testing::Test {
 protected:
  DecodeResult decode(std::string_view bytes) { return decoder_.decode(bytes, decision_); }

  config::Config config_ = test_config();
  Decoder decoder_{config_};
  Decision decision_;
};

// --- Accepted events -------------------------------------------------------

TEST_F(DecoderTest, DecodesTheTypicalEvent) {
  const DecodeResult result = decode(kEvent);
  ASSERT_TRUE(result.accepted) << to_string(result.reason) << " " << result.field;
  EXPECT_EQ(decision_.event_id, "3f1c");
  EXPECT_EQ(decision_.event_time_ms, ms(k20261120T100000Z));
  EXPECT_EQ(decision_.system, "cv-screener-v3");
  EXPECT_EQ(decision_.stage, "screening");
  EXPECT_EQ(decision_.stratum, "req-1042");
  EXPECT_TRUE(decision_.favourable);
  ASSERT_TRUE(decision_.score.has_value());
  EXPECT_DOUBLE_EQ(*decision_.score, 0.73);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{0, 1, 2}));
}

TEST_F(DecoderTest, MapsEveryConfiguredDecisionValue) {
  for (const char* value : {"\"selected\"", "\"advance\"", "\"offer\""}) {
    ASSERT_TRUE(decode(with("decision", value)).accepted) << value;
    EXPECT_TRUE(decision_.favourable) << value;
  }
  ASSERT_TRUE(decode(with("decision", "\"rejected\"")).accepted);
  EXPECT_FALSE(decision_.favourable);
}

TEST_F(DecoderTest, OptionalFieldsMayBeAbsentOrNull) {
  ASSERT_TRUE(decode(with("score", std::nullopt)).accepted);
  EXPECT_FALSE(decision_.score.has_value());
  ASSERT_TRUE(decode(with("score", "null")).accepted);
  EXPECT_FALSE(decision_.score.has_value());
  ASSERT_TRUE(decode(with("requisition", std::nullopt)).accepted);
  EXPECT_EQ(decision_.stratum, "");
  ASSERT_TRUE(decode(with("requisition", "null")).accepted);
  EXPECT_EQ(decision_.stratum, "");
}

TEST_F(DecoderTest, EmptyPointersDisableStratumAndScore) {
  config::Config config = test_config();
  config.events.fields.stratum = "";
  config.events.fields.score = "";
  Decoder decoder(config);
  // Even values that would otherwise be rejected are ignored.
  const std::string event = with("score", "\"high\"", with("requisition", "true"));
  ASSERT_TRUE(decoder.decode(event, decision_).accepted);
  EXPECT_EQ(decision_.stratum, "");
  EXPECT_FALSE(decision_.score.has_value());
}

TEST_F(DecoderTest, IntegerStratumIsKeptAsItsText) {
  ASSERT_TRUE(decode(with("requisition", "1042")).accepted);
  EXPECT_EQ(decision_.stratum, "1042");
}

TEST_F(DecoderTest, StratumOfAnotherTypeIsWrongType) {
  for (const char* value : {"true", "1.5", "[1]", "{\"a\": 1}"}) {
    const DecodeResult result = decode(with("requisition", value));
    EXPECT_FALSE(result.accepted) << value;
    EXPECT_EQ(result.reason, RejectReason::wrong_type) << value;
    EXPECT_EQ(result.field, "stratum") << value;
  }
}

TEST_F(DecoderTest, ScoreBoundsAreInclusive) {
  for (const char* value : {"0", "0.0", "1", "1.0", "-0", "1e0", "5E-1"}) {
    ASSERT_TRUE(decode(with("score", value)).accepted) << value;
  }
  config::Config config = test_config();
  config.scores.min = -10;
  config.scores.max = 250;
  Decoder decoder(config);
  ASSERT_TRUE(decoder.decode(with("score", "-10"), decision_).accepted);
  EXPECT_EQ(decision_.score, -10.0);
  ASSERT_TRUE(decoder.decode(with("score", "250"), decision_).accepted);
  EXPECT_EQ(decision_.score, 250.0);
}

TEST_F(DecoderTest, StringsAreUnescaped) {
  ASSERT_TRUE(decode(with("system", R"("cv\u002Dscreener\/v3")")).accepted);
  EXPECT_EQ(decision_.system, "cv-screener/v3");
  ASSERT_TRUE(decode(with("stage", R"("\u00e9tape \"1\"")")).accepted);
  EXPECT_EQ(decision_.stage, "\xC3\xA9tape \"1\"");
}

TEST_F(DecoderTest, KeysAreMatchedUnescaped) {
  std::string event(kEvent);
  event.replace(event.find("\"system\""), 8, R"("\u0073ystem")");
  ASSERT_TRUE(decode(event).accepted);
  EXPECT_EQ(decision_.system, "cv-screener-v3");
}

TEST_F(DecoderTest, FirstOfDuplicateKeysWins) {
  std::string event(kEvent);
  event.insert(1, R"("system": "first", "attributes": {"sex": "male"}, )");
  ASSERT_TRUE(decode(event).accepted);
  EXPECT_EQ(decision_.system, "first");
  // The first "attributes" object is the one the pointers look into.
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{1, 5, 4}));
}

TEST_F(DecoderTest, ToleratesSurroundingWhitespaceAndCrlf) {
  const std::string event(kEvent);
  for (const std::string& text :
       {event + "\r", event + "\r\n", event + " \t", "  \t" + event, "\r\n" + event + "\r"}) {
    EXPECT_TRUE(decode(text).accepted) << text;
  }
  std::string spaced = R"({ "event_id" : "a" ,
      "timestamp" : "2026-11-20T10:00:00Z" , "system" : "s" , "stage" : "t" ,
      "decision" : "selected" }
)";
  EXPECT_TRUE(decode(spaced).accepted);
}

TEST_F(DecoderTest, ViewsOutliveTheInputUntilTheNextDecode) {
  std::string input = with("event_id", "\"id-\\u0031\"");
  ASSERT_TRUE(decode(input).accepted);
  input.assign(input.size(), 'x');  // the views must not point into the input
  EXPECT_EQ(decision_.event_id, "id-1");
  EXPECT_EQ(decision_.system, "cv-screener-v3");
  EXPECT_EQ(decision_.stage, "screening");
  EXPECT_EQ(decision_.stratum, "req-1042");

  std::string numeric = with("event_id", "987654321");
  ASSERT_TRUE(decode(numeric).accepted);
  numeric.assign(numeric.size(), 'x');
  EXPECT_EQ(decision_.event_id, "987654321");

  // A later decode, even a rejected one, leaves the earlier views unspecified,
  // but the new decision's views are its own.
  ASSERT_FALSE(decode("{").accepted);
  ASSERT_TRUE(decode(with("system", "\"other\"")).accepted);
  EXPECT_EQ(decision_.system, "other");
  EXPECT_EQ(decision_.event_id, "3f1c");
}

TEST_F(DecoderTest, ReusesTheDecisionAcrossConfigs) {
  ASSERT_TRUE(decode(kEvent).accepted);
  ASSERT_EQ(decision_.groups.size(), 3u);
  config::Config config = test_config();
  config.attributes.resize(1);
  Decoder decoder(config);
  ASSERT_TRUE(decoder.decode(kEvent, decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{0}));
  config.attributes.clear();
  Decoder none(config);
  ASSERT_TRUE(none.decode(kEvent, decision_).accepted);
  EXPECT_TRUE(decision_.groups.empty());
}

TEST_F(DecoderTest, LargeEventsAreDecodedAndTheBuffersGrow) {
  // Grows past the initial buffers, then shrinks back, repeatedly.
  for (std::size_t padding : {100u, 70'000u, 10u, 300'000u, 0u}) {
    const std::string event = with("requisition", "\"" + std::string(padding, 'r') + "\"");
    ASSERT_TRUE(decode(event).accepted) << padding;
    EXPECT_EQ(decision_.stratum.size(), padding);
    EXPECT_EQ(decision_.system, "cv-screener-v3");
  }
}

// --- Event ids -------------------------------------------------------------

TEST_F(DecoderTest, IdMayBeAnIntegerKeptAsItsText) {
  for (const char* value :
       {"0", "42", "-7", "9223372036854775807", "123456789012345678901234567890"}) {
    ASSERT_TRUE(decode(with("event_id", value)).accepted) << value;
    EXPECT_EQ(decision_.event_id, value);
  }
  // The text stops before whitespace.
  ASSERT_TRUE(decode(with("event_id", "42 \r\n\t")).accepted);
  EXPECT_EQ(decision_.event_id, "42");
}

TEST_F(DecoderTest, IdOfAnotherTypeIsWrongType) {
  for (const char* value : {"1.5", "1e3", "1.0", "true", "false", "[\"a\"]", "{\"a\": \"b\"}"}) {
    const DecodeResult result = decode(with("event_id", value));
    EXPECT_FALSE(result.accepted) << value;
    EXPECT_EQ(result.reason, RejectReason::wrong_type) << value;
    EXPECT_EQ(result.field, "id") << value;
  }
}

// --- Timestamps ------------------------------------------------------------

TEST_F(DecoderTest, TimeAsRfc3339WithFractionsAndOffsets) {
  struct Case {
    const char* text;
    std::int64_t expected_ms;
  };
  for (const Case& c : std::vector<Case>{
           {"\"2026-11-20T10:00:00Z\"", ms(k20261120T100000Z)},
           {"\"2026-11-20t10:00:00z\"", ms(k20261120T100000Z)},
           {"\"2026-11-20 10:00:00Z\"", ms(k20261120T100000Z)},
           {"\"2026-11-20T10:00:00.5Z\"", ms(k20261120T100000Z) + 500},
           {"\"2026-11-20T10:00:00.123456789Z\"", ms(k20261120T100000Z) + 123},
           {"\"2026-11-20T10:00:00+05:30\"", ms(k20261120T100000p0530)},
           {"\"2026-11-20T10:00:00.25-08:00\"", ms(k20261120T100000m0800) + 250},
           {"\"2026-01-01T00:30:00+01:00\"", ms(k20260101T003000p0100)},
       }) {
    ASSERT_TRUE(decode(with("timestamp", c.text)).accepted) << c.text;
    EXPECT_EQ(decision_.event_time_ms, c.expected_ms) << c.text;
  }
}

TEST_F(DecoderTest, TimeAsEpochSeconds) {
  struct Case {
    const char* text;
    std::int64_t expected_ms;
  };
  for (const Case& c : std::vector<Case>{
           {"1795168800", ms(k20261120T100000Z)},
           {"1795168800.0", ms(k20261120T100000Z)},
           {"1795168800.123", ms(k20261120T100000Z) + 123},
           {"1795168800.1239", ms(k20261120T100000Z) + 123},  // truncated
           {"1795168800.001", ms(k20261120T100000Z) + 1},     // exact, not 0.000999…
           {"1.7951688e9", ms(k20261120T100000Z)},
           {"17951688001E-1", ms(k20261120T100000Z) + 100},
           {"0", 0},
           {"-0", 0},
           {"0.0005", 0},
           {"1e-3", 1},
           {"253402300799", ms(k99991231T235959Z)},
           {"253402300799.999", ms(k99991231T235959Z) + 999},
       }) {
    ASSERT_TRUE(decode(with("timestamp", c.text)).accepted) << c.text;
    EXPECT_EQ(decision_.event_time_ms, c.expected_ms) << c.text;
  }
}

TEST_F(DecoderTest, TimeOutOfRangeOrUnparseableIsBadTimestamp) {
  for (const char* value :
       {"-1", "-0.001", "253402300800", "1e300", "1e999999999", "1795168800000000",
        "\"1969-12-31T23:59:59Z\"", "\"1970-01-01T00:30:00+01:00\"",
        "\"9999-12-31T23:00:00-05:00\"", "\"0000-01-01T00:00:00Z\"", "\"2026-02-30T10:00:00Z\"",
        "\"2026-11-20T24:00:00Z\"", "\"2026-11-20T10:00:00\"", "\"2026-11-20\"", "\"yesterday\"",
        "\"1795168800\"", "\" 2026-11-20T10:00:00Z\""}) {
    const DecodeResult result = decode(with("timestamp", value));
    EXPECT_FALSE(result.accepted) << value;
    EXPECT_EQ(result.reason, RejectReason::bad_timestamp) << value;
    EXPECT_EQ(result.field, "time") << value;
  }
}

TEST_F(DecoderTest, TimeOfAnotherTypeIsWrongType) {
  for (const char* value : {"true", "[1795168800]", "{\"s\": 1795168800}"}) {
    const DecodeResult result = decode(with("timestamp", value));
    EXPECT_EQ(result.reason, RejectReason::wrong_type) << value;
    EXPECT_EQ(result.field, "time") << value;
  }
}

// --- Rejections, one reason at a time --------------------------------------

TEST_F(DecoderTest, NotJson) {
  const std::string event(kEvent);
  for (const std::string& text : {
           std::string(""),
           std::string("   "),
           std::string("\r"),
           std::string("{"),
           std::string("}"),
           event.substr(0, event.size() - 1),  // truncated
           event + "}",                        // trailing brace
           event + " x",                       // trailing garbage
           event + "{}",                       // a second document
           event + "\n" + event,               // two lines
           "[" + event + "]",                  // not an object
           std::string("42"),
           std::string("\"text\""),
           std::string("null"),
           std::string(R"({"event_id": "a",})"),  // trailing comma
           std::string(R"({"event_id" "a"})"),    // missing colon
           std::string(R"({event_id: "a"})"),     // unquoted key
           std::string(R"({'event_id': 'a'})"),   // single quotes
           with("score", "01"),                   // leading zero
           with("score", ".5"),
           with("score", "1."),
           with("score", "+1"),
           with("score", "1e"),
           with("score", "NaN"),
           with("score", "Infinity"),
           with("score", "0x1"),
           with("score", "truex"),
           with("score", "nul"),
           with("score", "True"),
           with("stage", R"("bad \x escape")"),
           with("stage", R"("lone \ud800 surrogate")"),
           with("stage", "\"raw\ttab\""),
           with("stage", "\"new\nline\""),
           with("stage", "\"\xFF\xFE\""),                           // invalid UTF-8
           with("stage", "\"\xC3\x28\""),                           // invalid continuation
           with("stage", "\"\xED\xA0\x80\""),                       // UTF-8-encoded surrogate
           with("stage", "\"screening\" \"again\""),                // two values
           with("attributes", R"({"sex": "female",})"),             // error in a nested object
           with("attributes", R"({"sex": ["a",]})"),                // error in a nested array
           with("attributes", R"({"sex": "female"]})"),             // mismatched bracket
           std::string(R"({"a": 1)") + std::string(1, '\0') + "}",  // NUL outside a string
       }) {
    const DecodeResult result = decode(text);
    EXPECT_FALSE(result.accepted) << text;
    EXPECT_EQ(result.reason, RejectReason::not_json) << text;
    EXPECT_EQ(result.field, "") << text;
  }
}

TEST_F(DecoderTest, InvalidJsonAnywhereIsRejectedEvenOutsideThePointers) {
  // ondemand only validates what it visits; the decoder visits everything.
  for (const char* extra : {R"("extra": [1, 2, {"x": tru}])", R"("extra": {"y": 1.})",
                            R"("extra": "\q")", R"("\q": 1)"}) {
    std::string event(kEvent);
    event.insert(event.size() - 1, std::string(", ") + extra);
    EXPECT_EQ(decode(event).reason, RejectReason::not_json) << event;
  }
}

TEST_F(DecoderTest, NumbersOutsideDoubleRangeAreValidJson) {
  // RFC 8259 puts no limit on numbers; only fields that need a value reject them.
  std::string event(kEvent);
  event.insert(event.size() - 1, R"(, "big": [123456789012345678901234567890, 1e400, -1e-400])");
  EXPECT_TRUE(decode(event).accepted);
  EXPECT_EQ(decode(with("score", "1e400", event)).reason, RejectReason::bad_score);
}

TEST_F(DecoderTest, NestingIsLimited) {
  auto nested = [](int depth) {
    std::string inner = "1";
    for (int i = 1; i < depth; ++i)
      inner = (i % 2 ? "[" : "{\"k\": ") + inner + (i % 2 ? "]" : "}");
    std::string event(kEvent);
    event.insert(event.size() - 1, ", \"deep\": " + inner);
    return event;
  };
  // The top-level object is depth 1.
  EXPECT_TRUE(decode(nested(Decoder::kMaxDepth)).accepted);
  EXPECT_EQ(decode(nested(Decoder::kMaxDepth + 1)).reason, RejectReason::not_json);
  EXPECT_EQ(decode(nested(10'000)).reason, RejectReason::not_json);
}

TEST_F(DecoderTest, TooLarge) {
  std::string event(kEvent);
  event.insert(event.size() - 1, ", \"pad\": \"\"");
  const std::size_t fill = Decoder::kMaxEventBytes - event.size();
  event.insert(event.size() - 2, fill, 'p');
  ASSERT_EQ(event.size(), Decoder::kMaxEventBytes);
  EXPECT_TRUE(decode(event).accepted);
  event.insert(event.size() - 2, "p");
  const DecodeResult result = decode(event);
  EXPECT_EQ(result.reason, RejectReason::too_large);
  EXPECT_EQ(result.field, "");
  // Size is checked before syntax.
  EXPECT_EQ(decode(std::string(Decoder::kMaxEventBytes + 1, '{')).reason, RejectReason::too_large);
  EXPECT_TRUE(decode(kEvent).accepted);
}

TEST_F(DecoderTest, MissingField) {
  struct Case {
    const char* key;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{{"event_id", "id"},
                                         {"timestamp", "time"},
                                         {"system", "system"},
                                         {"stage", "stage"},
                                         {"decision", "decision"}}) {
    for (std::optional<std::string_view> value :
         {std::optional<std::string_view>{}, std::optional<std::string_view>{"null"},
          std::optional<std::string_view>{"\"\""}}) {
      const DecodeResult result = decode(with(c.key, value));
      EXPECT_FALSE(result.accepted) << c.key << " " << value.value_or("absent");
      EXPECT_EQ(result.reason, RejectReason::missing_field) << c.key;
      EXPECT_EQ(result.field, c.field) << c.key;
    }
  }
}

TEST_F(DecoderTest, WrongType) {
  struct Case {
    const char* key;
    const char* value;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{{"event_id", "false", "id"},
                                         {"event_id", "2.5", "id"},
                                         {"timestamp", "false", "time"},
                                         {"system", "3", "system"},
                                         {"system", "true", "system"},
                                         {"system", "[\"cv\"]", "system"},
                                         {"stage", "{\"name\": \"screening\"}", "stage"},
                                         {"stage", "1.5", "stage"}}) {
    const DecodeResult result = decode(with(c.key, c.value));
    EXPECT_FALSE(result.accepted) << c.key << " " << c.value;
    EXPECT_EQ(result.reason, RejectReason::wrong_type) << c.key << " " << c.value;
    EXPECT_EQ(result.field, c.field) << c.key << " " << c.value;
  }
}

TEST_F(DecoderTest, UnmappedDecision) {
  for (const char* value : {"\"hired\"", "\"Selected\"", "\"selected \"", "1", "true", "false",
                            "[\"selected\"]", "{\"v\": \"selected\"}"}) {
    const DecodeResult result = decode(with("decision", value));
    EXPECT_FALSE(result.accepted) << value;
    EXPECT_EQ(result.reason, RejectReason::unmapped_decision) << value;
    EXPECT_EQ(result.field, "decision") << value;
  }
}

TEST_F(DecoderTest, BadScore) {
  for (const char* value : {"-0.01", "1.0000001", "2", "-1e-9", "1e400", "-1e400", "\"0.5\"",
                            "true", "[0.5]", "{\"v\": 0.5}"}) {
    const DecodeResult result = decode(with("score", value));
    EXPECT_FALSE(result.accepted) << value;
    EXPECT_EQ(result.reason, RejectReason::bad_score) << value;
    EXPECT_EQ(result.field, "score") << value;
  }
}

TEST_F(DecoderTest, UnknownSystemAndStageWithAllowLists) {
  config::Config config = test_config();
  config.events.systems = {"cv-screener-v3", "video-interview"};
  config.events.stages = {"screening", "interview"};
  Decoder decoder(config);
  EXPECT_TRUE(decoder.decode(kEvent, decision_).accepted);
  EXPECT_TRUE(decoder.decode(with("stage", "\"interview\""), decision_).accepted);

  DecodeResult result = decoder.decode(with("system", "\"cv-screener-v2\""), decision_);
  EXPECT_EQ(result.reason, RejectReason::unknown_system);
  EXPECT_EQ(result.field, "system");
  result = decoder.decode(with("stage", "\"offer\""), decision_);
  EXPECT_EQ(result.reason, RejectReason::unknown_stage);
  EXPECT_EQ(result.field, "stage");
  // Without lists anything goes.
  EXPECT_TRUE(decode(with("system", "\"anything\"")).accepted);
}

TEST_F(DecoderTest, LongAllowListsAreSearchedToo) {
  config::Config config = test_config();
  for (int i = 0; i < 100; ++i) config.events.systems.push_back("system-" + std::to_string(i));
  Decoder decoder(config);
  EXPECT_TRUE(decoder.decode(with("system", "\"system-0\""), decision_).accepted);
  EXPECT_TRUE(decoder.decode(with("system", "\"system-99\""), decision_).accepted);
  EXPECT_EQ(decoder.decode(kEvent, decision_).reason, RejectReason::unknown_system);
}

TEST_F(DecoderTest, RejectReasonsHaveTheirEnumNames) {
  std::set<std::string> names;
  for (const RejectReason reason : kAllRejectReasons) names.insert(to_string(reason));
  EXPECT_EQ(names.size(), kRejectReasonCount);
  EXPECT_STREQ(to_string(RejectReason::not_json), "not_json");
  EXPECT_STREQ(to_string(RejectReason::too_large), "too_large");
  EXPECT_STREQ(to_string(RejectReason::missing_field), "missing_field");
  EXPECT_STREQ(to_string(RejectReason::wrong_type), "wrong_type");
  EXPECT_STREQ(to_string(RejectReason::bad_timestamp), "bad_timestamp");
  EXPECT_STREQ(to_string(RejectReason::unmapped_decision), "unmapped_decision");
  EXPECT_STREQ(to_string(RejectReason::bad_score), "bad_score");
  EXPECT_STREQ(to_string(RejectReason::unknown_system), "unknown_system");
  EXPECT_STREQ(to_string(RejectReason::unknown_stage), "unknown_stage");
}

// --- Precedence --------------------------------------------------------------

TEST_F(DecoderTest, PrecedenceFollowsFieldOrder) {
  config::Config config = test_config();
  config.events.systems = {"cv-screener-v3"};
  config.events.stages = {"screening"};
  Decoder decoder(config);
  // Everything wrong; fixing fields one by one reveals the next reason.
  std::string event = R"({"timestamp": "never", "system": "other", "stage": "other",)"
                      R"( "decision": "maybe", "score": 7, "requisition": true})";
  struct Step {
    RejectReason reason;
    const char* field;
    const char* key;
    const char* fix;
  };
  const std::vector<Step> steps = {
      {RejectReason::missing_field, "id", nullptr, nullptr},
      {RejectReason::bad_timestamp, "time", "timestamp", "\"2026-11-20T10:00:00Z\""},
      {RejectReason::unknown_system, "system", "system", "\"cv-screener-v3\""},
      {RejectReason::unknown_stage, "stage", "stage", "\"screening\""},
      {RejectReason::unmapped_decision, "decision", "decision", "\"rejected\""},
      {RejectReason::bad_score, "score", "score", "0.5"},
      {RejectReason::wrong_type, "stratum", "requisition", "\"req-1\""},
  };
  event.insert(1, R"("event_id": null, )");
  for (const Step& step : steps) {
    const DecodeResult result = decoder.decode(event, decision_);
    EXPECT_FALSE(result.accepted) << event;
    EXPECT_EQ(result.reason, step.reason) << event;
    EXPECT_EQ(result.field, step.field) << event;
    event =
        step.key == nullptr ? with("event_id", "\"e1\"", event) : with(step.key, step.fix, event);
  }
  EXPECT_TRUE(decoder.decode(event, decision_).accepted) << event;
  // Syntax beats every field problem, size beats syntax.
  EXPECT_EQ(decoder.decode(std::string(R"({"event_id": null)"), decision_).reason,
            RejectReason::not_json);
  EXPECT_EQ(decoder.decode(R"({"system": 1, "stage": 2} x)", decision_).reason,
            RejectReason::not_json);
}

TEST_F(DecoderTest, WrongTypeOfAnEarlierFieldBeatsMissingLaterOnes) {
  const DecodeResult result = decode(R"({"event_id": true})");
  EXPECT_EQ(result.reason, RejectReason::wrong_type);
  EXPECT_EQ(result.field, "id");
  EXPECT_EQ(decode(R"({"event_id": "e", "timestamp": 0})").field, "system");
}

// --- Attributes ----------------------------------------------------------------

TEST_F(DecoderTest, UnconfiguredAbsentOrNullGroupsAreUnknown) {
  // Unknown index = groups.size(): 3 for sex, 5 for ethnicity, 4 for age_band.
  ASSERT_TRUE(
      decode(with("attributes", R"({"sex": "prefer-not-to-say", "ethnicity": null})")).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{3, 5, 4}));
  ASSERT_TRUE(decode(with("attributes", std::nullopt)).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{3, 5, 4}));
  ASSERT_TRUE(decode(with("attributes", "\"none\"")).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{3, 5, 4}));
  ASSERT_TRUE(decode(with("attributes", "null")).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{3, 5, 4}));
  // Case matters; objects and arrays are never a group.
  ASSERT_TRUE(decode(with("attributes", R"({"sex": "Female", "ethnicity": ["black"],)"
                                        R"( "age_band": {"v": "40-54"}})"))
                  .accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{3, 5, 4}));
  ASSERT_TRUE(decode(with("attributes", R"({"sex": ""})")).accepted);
  EXPECT_EQ(decision_.groups[0], 3);
}

TEST_F(DecoderTest, NonStringScalarsAreMatchedByTheirJsonText) {
  config::Config config = test_config();
  config.attributes = {
      {"disabled", "/a/disabled", {"false", "true"}},
      {"age", "/a/age", {"42", "1.50"}},
      {"other", "/a/other", {"null"}},
  };
  Decoder decoder(config);
  std::string event(kEvent);
  event.insert(event.size() - 1, R"(, "a": {"disabled": true, "age": 42, "other": null})");
  ASSERT_TRUE(decoder.decode(event, decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{1, 0, 1}));  // null is absent
  event.replace(event.find("\"age\": 42") + 7, 2, "1.50");
  ASSERT_TRUE(decoder.decode(event, decision_).accepted);
  EXPECT_EQ(decision_.groups[1], 1);
  event.replace(event.find("1.50"), 4, "1.5");  // same number, other text
  ASSERT_TRUE(decoder.decode(event, decision_).accepted);
  EXPECT_EQ(decision_.groups[1], 2);
}

TEST_F(DecoderTest, DuplicateConfiguredGroupsKeepTheirFirstIndex) {
  config::Config config = test_config();
  config.attributes = {{"sex", "/attributes/sex", {"male", "female", "female"}}};
  Decoder decoder(config);
  ASSERT_TRUE(decoder.decode(kEvent, decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{1}));
}

TEST_F(DecoderTest, ManyGroupsUseTheSameIndices) {
  config::Config config = test_config();
  std::vector<std::string> groups;
  for (int i = 0; i < 40; ++i) groups.push_back("g" + std::to_string(i));
  groups.push_back("female");
  groups.push_back("g0");  // a duplicate: keeps index 0
  config.attributes = {{"sex", "/attributes/sex", groups}};
  Decoder decoder(config);
  ASSERT_TRUE(decoder.decode(kEvent, decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{40}));
  ASSERT_TRUE(decoder.decode(with("attributes", R"({"sex": "g0"})"), decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{0}));
  ASSERT_TRUE(decoder.decode(with("attributes", R"({"sex": "g40"})"), decision_).accepted);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{42}));
}

// --- Custom pointers -----------------------------------------------------------

TEST_F(DecoderTest, CustomNestedPointersWithEscapes) {
  config::Config config = test_config();
  config.events.fields = {.id = "/meta/ids/event",
                          .time = "/meta/at~1utc",
                          .system = "/source/adm~0system",
                          .stage = "/source/stage",
                          .stratum = "/job/0/req",
                          .decision = "/outcome/2",
                          .score = "/outcome/1/value"};
  config.attributes = {
      {"sex", "/candidate/protected/sex", {"female", "male"}},
      {"band", "/candidate/protected/age~1band", {"<25", "25+"}},
      {"empty", "/candidate/", {"x"}},  // the member named ""
  };
  Decoder decoder(config);
  const std::string event = R"({
    "meta": {"ids": {"event": 77}, "at/utc": "2026-11-20T10:00:00+05:30"},
    "source": {"adm~system": "vendor-x", "stage": "offer", "adm": "decoy"},
    "job": [{"req": "R-9"}, {"req": "R-10"}],
    "outcome": ["x", {"value": 0.25}, "rejected"],
    "candidate": {"protected": {"sex": "male", "age/band": "25+"}, "": "x"}
  })";
  const DecodeResult result = decoder.decode(event, decision_);
  ASSERT_TRUE(result.accepted) << to_string(result.reason) << " " << result.field;
  EXPECT_EQ(decision_.event_id, "77");
  EXPECT_EQ(decision_.event_time_ms, ms(k20261120T100000p0530));
  EXPECT_EQ(decision_.system, "vendor-x");
  EXPECT_EQ(decision_.stage, "offer");
  EXPECT_EQ(decision_.stratum, "R-9");
  EXPECT_FALSE(decision_.favourable);
  EXPECT_EQ(decision_.score, 0.25);
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{1, 1, 0}));
}

TEST_F(DecoderTest, PointersThroughTheWrongTypeFindNothing) {
  config::Config config = test_config();
  config.events.fields.stratum = "/job/0";
  config.attributes = {{"sex", "/attributes/sex/0", {"female"}},
                       {"first", "/list/00", {"a"}},  // not an index
                       {"dash", "/list/-", {"a"}},    // past the end: never present
                       {"key", "/object/0", {"b"}}};  // "0" as an object key
  Decoder decoder(config);
  std::string event(kEvent);
  event.insert(event.size() - 1,
               R"(, "job": {"1": "x"}, "list": ["a", "a"], "object": {"0": "b"})");
  ASSERT_TRUE(decoder.decode(event, decision_).accepted);
  EXPECT_EQ(decision_.stratum, "");
  EXPECT_EQ(decision_.groups, (std::vector<GroupIndex>{1, 1, 1, 0}));
}

TEST_F(DecoderTest, PointerToAnObjectIsWrongTypeForRequiredFields) {
  config::Config config = test_config();
  config.events.fields.system = "/attributes";
  Decoder decoder(config);
  DecodeResult result = decoder.decode(kEvent, decision_);
  EXPECT_EQ(result.reason, RejectReason::wrong_type);
  EXPECT_EQ(result.field, "system");
  config.events.fields.system = "";  // the whole document
  Decoder whole(config);
  result = whole.decode(kEvent, decision_);
  EXPECT_EQ(result.reason, RejectReason::wrong_type);
  EXPECT_EQ(result.field, "system");
}

TEST_F(DecoderTest, SeveralFieldsMayShareAPointer) {
  config::Config config = test_config();
  config.events.fields.stratum = "/system";
  config.attributes.push_back({"system", "/system", {"cv-screener-v3"}});
  Decoder decoder(config);
  ASSERT_TRUE(decoder.decode(kEvent, decision_).accepted);
  EXPECT_EQ(decision_.stratum, "cv-screener-v3");
  EXPECT_EQ(decision_.groups.back(), 0);
}

// --- parse_rfc3339_ms ------------------------------------------------------------

TEST(Rfc3339, ParsesUtc) {
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00Z"), ms(k20261120T100000Z));
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(parse_rfc3339_ms("9999-12-31T23:59:59.999Z"), ms(k99991231T235959Z) + 999);
}

TEST(Rfc3339, SeparatorsAndZoneLetters) {
  for (const char* text : {"2026-11-20T10:00:00Z", "2026-11-20t10:00:00z", "2026-11-20 10:00:00Z",
                           "2026-11-20T10:00:00+00:00", "2026-11-20T10:00:00-00:00"}) {
    EXPECT_EQ(parse_rfc3339_ms(text), ms(k20261120T100000Z)) << text;
  }
}

TEST(Rfc3339, FractionalSecondsAreTruncatedToMilliseconds) {
  const std::int64_t base = ms(k20261120T100000Z);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.1Z"), base + 100);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.12Z"), base + 120);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.123Z"), base + 123);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.1239Z"), base + 123);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.999999999999Z"), base + 999);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.000Z"), base);
}

TEST(Rfc3339, Offsets) {
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00+05:30"), ms(k20261120T100000p0530));
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00-08:00"), ms(k20261120T100000m0800));
  EXPECT_EQ(parse_rfc3339_ms("2026-11-20T10:00:00.5-08:00"), ms(k20261120T100000m0800) + 500);
  EXPECT_EQ(parse_rfc3339_ms("2026-01-01T00:30:00+01:00"), ms(k20260101T003000p0100));
  // The offset can cross a year boundary either way.
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00+23:59"), -(23 * 60 + 59) * 60'000);
}

TEST(Rfc3339, LeapYears) {
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T23:59:59Z"), ms(k20240229T235959Z));
  EXPECT_EQ(parse_rfc3339_ms("2000-02-29T00:00:00Z"), ms(k20000229T000000Z));
  EXPECT_EQ(parse_rfc3339_ms("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_ms("2100-02-29T00:00:00Z"), std::nullopt);  // century, not /400
  EXPECT_EQ(parse_rfc3339_ms("1900-02-29T00:00:00Z"), std::nullopt);
}

TEST(Rfc3339, LeapSecondReadsAsTheLastMillisecond) {
  EXPECT_EQ(parse_rfc3339_ms("2016-12-31T23:59:60Z"), ms(k20161231T235959Z) + 999);
  EXPECT_EQ(parse_rfc3339_ms("2016-12-31T23:59:60.5Z"), ms(k20161231T235959Z) + 999);
  EXPECT_EQ(parse_rfc3339_ms("2016-12-31T23:59:61Z"), std::nullopt);
}

TEST(Rfc3339, RejectsInvalidDatesAndTimes) {
  for (const char* text :
       {"2026-02-30T10:00:00Z", "2026-02-29T10:00:00Z", "2026-04-31T10:00:00Z",
        "2026-00-10T10:00:00Z", "2026-13-10T10:00:00Z", "2026-11-00T10:00:00Z",
        "2026-11-32T10:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T10:60:00Z",
        "2026-11-20T10:00:61Z", "2026-11-20T10:00:00+24:00", "2026-11-20T10:00:00+05:60"}) {
    EXPECT_EQ(parse_rfc3339_ms(text), std::nullopt) << text;
  }
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* text : {"",
                           "2026",
                           "2026-11-20",
                           "2026-11-20T10:00:00",
                           "2026-11-20T10:00Z",
                           "2026-11-20T10:00:00ZZ",
                           "2026-11-20T10:00:00Z ",
                           " 2026-11-20T10:00:00Z",
                           "2026-11-20X10:00:00Z",
                           "2026-11-20T10:00:00.Z",
                           "2026-11-20T10:00:00,5Z",
                           "2026-11-20T10:00:00+0530",
                           "2026-11-20T10:00:00+05",
                           "2026-11-20T10:00:00+5:30",
                           "2026-11-20T10:00:00+05:30:00",
                           "2026-11-20T10:00:00 +05:30",
                           "26-11-20T10:00:00Z",
                           "02026-11-20T10:00:00Z",
                           "2026-1-20T10:00:00Z",
                           "2026-11-20T1:00:00Z",
                           "2026/11/20T10:00:00Z",
                           "2026-11-20T10:00:00UTC",
                           "+2026-11-20T10:00:00Z",
                           "2026-11-2aT10:00:00Z",
                           "2026-11-20T10:00:00.5",
                           "2026-11-20T10:00:00.12a4Z"}) {
    EXPECT_EQ(parse_rfc3339_ms(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace fairwatch::daemon
