// Decoder benchmarks: the Decoder on a typical event, the simdjson strategies
// it was chosen from, group lookups, and RFC 3339 parsing. Events/s is the
// items_per_second counter; allocs_per_event counts operator new calls.
//
// The strategies all extract the same 11 values (7 fields + 4 attributes)
// from the same event into a padded buffer reused across iterations:
//   DomPointer      DOM parse (validates everything) + 11 at_pointer()
//   DomKeys         DOM parse + pre-split at_key() chains
//   OndemandPointer ondemand + 11 at_pointer() (rewinds each time; validates
//                   only what it visits, so it does not meet the decoder's
//                   not_json contract)
//   OndemandWalk    ondemand, one pass visiting and validating every value,
//                   matching keys against the pointer tree (the Decoder's way)
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/decision.h"
#include "fairwatch/daemon/decoder.h"

// Counts allocations so the benchmarks can report allocs_per_event.
namespace {
std::uint64_t g_allocations = 0;
}  // namespace

// GCC flags free() in a replacement operator delete as mismatched with new.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return ::operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace fairwatch::daemon {
namespace {

// 270 bytes, the shape of DESIGN.md's example event.
constexpr std::string_view kEvent =
    R"({"event_id":"3f1c9a52-7e1b-4c2d-9f0a-1b2c3d4e5f60","timestamp":"2026-11-20T10:00:00Z",)"
    R"("system":"cv-screener-v3","stage":"screening","requisition":"req-1042",)"
    R"("decision":"selected","score":0.73,"attributes":{"sex":"female","ethnicity":"black",)"
    R"("age_band":"40-54","disability":"no"}})";

const std::vector<std::string> kPointers = {"/event_id",
                                            "/timestamp",
                                            "/system",
                                            "/stage",
                                            "/requisition",
                                            "/decision",
                                            "/score",
                                            "/attributes/sex",
                                            "/attributes/ethnicity",
                                            "/attributes/age_band",
                                            "/attributes/disability"};

config::Config typical_config() {
  config::Config config;
  config.events.favourable = {"selected", "advance", "offer"};
  config.events.unfavourable = {"rejected"};
  config.attributes = {
      {"sex", "/attributes/sex", {"female", "male", "non-binary"}},
      {"ethnicity", "/attributes/ethnicity", {"asian", "black", "mixed", "white", "other"}},
      {"age_band", "/attributes/age_band", {"<25", "25-39", "40-54", "55+"}},
      {"disability", "/attributes/disability", {"no", "yes"}},
  };
  return config;
}

// The reused padded copy every strategy parses from.
class PaddedBuffer {
 public:
  PaddedBuffer() : data_(std::make_unique<char[]>(kCapacity)) {}
  const char* load(std::string_view bytes) {
    std::memcpy(data_.get(), bytes.data(), bytes.size());
    std::memset(data_.get() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);
    return data_.get();
  }
  static constexpr std::size_t kCapacity = 64 * 1024;

 private:
  std::unique_ptr<char[]> data_;
};

void report(benchmark::State& state, std::uint64_t allocations_before) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kEvent.size()));
  state.counters["allocs_per_event"] = static_cast<double>(g_allocations - allocations_before) /
                                       static_cast<double>(state.iterations());
}

void BM_Decoder_Decode(benchmark::State& state) {
  const config::Config config = typical_config();
  Decoder decoder(config);
  Decision decision;
  decoder.decode(kEvent, decision);  // warm up
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    const DecodeResult result = decoder.decode(kEvent, decision);
    if (!result.accepted) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(decision);
  }
  report(state, before);
}
BENCHMARK(BM_Decoder_Decode);

void BM_Decoder_Reject_NotJson(benchmark::State& state) {
  const config::Config config = typical_config();
  Decoder decoder(config);
  Decision decision;
  std::string event(kEvent);
  event.back() = ']';
  decoder.decode(event, decision);
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    const DecodeResult result = decoder.decode(event, decision);
    if (result.accepted) state.SkipWithError("accepted");
    benchmark::DoNotOptimize(result);
  }
  report(state, before);
}
BENCHMARK(BM_Decoder_Reject_NotJson);

std::size_t consume(simdjson::dom::element element) {
  std::string_view text;
  if (element.get_string().get(text) == simdjson::SUCCESS) return text.size();
  double number = 0;
  if (element.get_double().get(number) == simdjson::SUCCESS) return 1;
  std::abort();
}

void BM_Strategy_DomPointer(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(PaddedBuffer::kCapacity) != simdjson::SUCCESS) std::abort();
  PaddedBuffer buffer;
  std::size_t sink = 0;
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(buffer.load(kEvent), kEvent.size(), false).get(root)) std::abort();
    for (const std::string& pointer : kPointers) {
      simdjson::dom::element value;
      if (root.at_pointer(pointer).get(value)) std::abort();
      sink += consume(value);
    }
  }
  benchmark::DoNotOptimize(sink);
  report(state, before);
}
BENCHMARK(BM_Strategy_DomPointer);

std::vector<std::vector<std::string>> split_pointers() {
  std::vector<std::vector<std::string>> all;
  for (const std::string& pointer : kPointers) {
    std::vector<std::string> tokens;
    std::size_t start = 1;
    while (start <= pointer.size()) {
      const std::size_t end = std::min(pointer.find('/', start), pointer.size());
      tokens.push_back(pointer.substr(start, end - start));
      start = end + 1;
    }
    all.push_back(std::move(tokens));
  }
  return all;
}

void BM_Strategy_DomKeys(benchmark::State& state) {
  simdjson::dom::parser parser;
  if (parser.allocate(PaddedBuffer::kCapacity) != simdjson::SUCCESS) std::abort();
  PaddedBuffer buffer;
  const auto paths = split_pointers();
  std::size_t sink = 0;
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(buffer.load(kEvent), kEvent.size(), false).get(root)) std::abort();
    for (const auto& path : paths) {
      simdjson::dom::element value = root;
      for (const std::string& key : path) {
        simdjson::dom::object object;
        if (value.get_object().get(object) || object.at_key(key).get(value)) std::abort();
      }
      sink += consume(value);
    }
  }
  benchmark::DoNotOptimize(sink);
  report(state, before);
}
BENCHMARK(BM_Strategy_DomKeys);

void BM_Strategy_OndemandPointer(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(PaddedBuffer::kCapacity) != simdjson::SUCCESS) std::abort();
  PaddedBuffer buffer;
  std::size_t sink = 0;
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    simdjson::ondemand::document document;
    if (parser.iterate(buffer.load(kEvent), kEvent.size(), PaddedBuffer::kCapacity).get(document)) {
      std::abort();
    }
    for (const std::string& pointer : kPointers) {
      simdjson::ondemand::value value;
      if (document.at_pointer(pointer).get(value)) std::abort();
      std::string_view text;
      double number = 0;
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        sink += text.size();
      } else if (value.get_double().get(number) == simdjson::SUCCESS) {
        sink += 1;
      } else {
        std::abort();
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  report(state, before);
}
BENCHMARK(BM_Strategy_OndemandPointer);

// The pointer tree of the one-pass walk, reduced to what the event needs.
struct WalkNode {
  std::string key;
  int slot = -1;
  std::vector<WalkNode> children;
};

WalkNode pointer_tree() {
  WalkNode root;
  int slot = 0;
  for (const auto& path : split_pointers()) {
    WalkNode* node = &root;
    for (const std::string& key : path) {
      WalkNode* next = nullptr;
      for (WalkNode& child : node->children) {
        if (child.key == key) next = &child;
      }
      if (next == nullptr) {
        node->children.push_back({key, -1, {}});
        next = &node->children.back();
      }
      node = next;
    }
    node->slot = slot++;
  }
  return root;
}

bool walk(simdjson::ondemand::value& value, const WalkNode* node, std::string_view* slots);

bool walk_object(simdjson::ondemand::object object, const WalkNode* node, std::string_view* slots) {
  for (auto field_or_error : object) {
    // By reference: copying the field costs store-forwarding stalls.
    if (field_or_error.error()) return false;
    simdjson::ondemand::field& field = field_or_error.value_unsafe();
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    const WalkNode* child = nullptr;
    if (node != nullptr) {
      for (const WalkNode& candidate : node->children) {
        if (candidate.key == key) child = &candidate;
      }
    }
    if (!walk(field.value(), child, slots)) return false;
  }
  return true;
}

bool walk(simdjson::ondemand::value& value, const WalkNode* node, std::string_view* slots) {
  const std::string_view token = value.raw_json_token();
  std::string_view text = token;
  switch (token.front()) {
    case '"':
      if (value.get_string().get(text)) return false;
      break;
    case '{': {
      simdjson::ondemand::object object;
      return !value.get_object().get(object) && walk_object(object, node, slots);
    }
    case '[': {
      simdjson::ondemand::array array;
      if (value.get_array().get(array)) return false;
      for (auto element_or_error : array) {
        if (element_or_error.error() || !walk(element_or_error.value_unsafe(), nullptr, slots)) {
          return false;
        }
      }
      return true;
    }
    default: {
      double number = 0;
      if (value.get_double().get(number)) return false;
      break;
    }
  }
  if (node != nullptr && node->slot >= 0) slots[node->slot] = text;
  return true;
}

void BM_Strategy_OndemandWalk(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  if (parser.allocate(PaddedBuffer::kCapacity) != simdjson::SUCCESS) std::abort();
  PaddedBuffer buffer;
  const WalkNode tree = pointer_tree();
  std::string_view slots[16];
  std::size_t sink = 0;
  const std::uint64_t before = g_allocations;
  for (auto _ : state) {
    simdjson::ondemand::document document;
    simdjson::ondemand::object root;
    const char* trailing = nullptr;
    if (parser.iterate(buffer.load(kEvent), kEvent.size(), PaddedBuffer::kCapacity).get(document) ||
        document.get_object().get(root) || !walk_object(root, &tree, slots) ||
        !document.current_location().get(trailing)) {
      std::abort();
    }
    for (std::size_t i = 0; i < kPointers.size(); ++i) sink += slots[i].size();
  }
  benchmark::DoNotOptimize(sink);
  report(state, before);
}
BENCHMARK(BM_Strategy_OndemandWalk);

// Group lookups: `range(0)` configured values, looked up in turn (hits) and
// one miss per round, as the decoder does per attribute.
std::vector<std::string> lookup_values(std::size_t count) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < count; ++i) values.push_back("group-" + std::to_string(i * 7919));
  return values;
}

void BM_Lookup_Linear(benchmark::State& state) {
  const auto values = lookup_values(static_cast<std::size_t>(state.range(0)));
  const std::vector<std::string_view> index(values.begin(), values.end());
  std::vector<std::string> probes = values;
  probes.push_back("not-configured");
  std::size_t sink = 0;
  for (auto _ : state) {
    for (const std::string& probe : probes) {
      const std::string_view key = probe;
      std::size_t found = index.size();
      for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] == key) {
          found = i;
          break;
        }
      }
      sink += found;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(probes.size()));
}
BENCHMARK(BM_Lookup_Linear)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64);

void BM_Lookup_Hash(benchmark::State& state) {
  const auto values = lookup_values(static_cast<std::size_t>(state.range(0)));
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < values.size(); ++i) index.emplace(values[i], i);
  std::vector<std::string> probes = values;
  probes.push_back("not-configured");
  std::size_t sink = 0;
  for (auto _ : state) {
    for (const std::string& probe : probes) {
      const auto it = index.find(std::string_view(probe));
      sink += it == index.end() ? index.size() : it->second;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(probes.size()));
}
BENCHMARK(BM_Lookup_Hash)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64);

void BM_ParseRfc3339(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(parse_rfc3339_ms("2026-11-20T10:00:00.123+05:30"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRfc3339);

}  // namespace
}  // namespace fairwatch::daemon

BENCHMARK_MAIN();
