// AttributeLayout: the attribute families fairwatch keeps statistics for —
// each configured attribute, then each configured intersection (named
// "sex*ethnicity", with groups "female*black", …) — and how a Decision maps to
// a group of each. Immutable after construction; safe to share for reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fairwatch/config/config.h"
#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {

struct AttributeFamily {
  std::string name;                     // "sex" or "sex*ethnicity"
  std::vector<std::string> groups;      // known groups; index groups.size() is "unknown"
  std::vector<std::size_t> components;  // attribute indices; one for a plain attribute
  std::vector<std::size_t> strides;     // mixed-radix strides of the components
  std::uint32_t first_slot = 0;         // slot of group 0; group g has slot first_slot + g
  std::size_t unknown() const { return groups.size(); }
};

inline constexpr const char* kUnknownGroup = "unknown";
inline constexpr char kIntersectionSeparator = '*';

class AttributeLayout {
 public:
  // REQUIRES: config is valid (intersections name configured attributes).
  explicit AttributeLayout(const config::Config& config);

  const std::vector<AttributeFamily>& families() const { return families_; }
  // The decision's group index in family f (unknown() when any component is unknown).
  std::size_t group_of(std::size_t family, const Decision& decision) const;
  // Slots number every group (unknown included) of every family consecutively.
  std::size_t slot_count() const { return slot_count_; }
  // Plain attributes come first: slots [0, plain_slot_count()) belong to them.
  // Strata keep counts for these slots only.
  std::size_t plain_slot_count() const { return plain_slot_count_; }
  std::size_t plain_family_count() const { return plain_family_count_; }
  // Fills slots[f] with the decision's slot in family f. REQUIRES: slots.size() ==
  // families().size().
  void slots_of(const Decision& decision, std::span<std::uint32_t> slots) const;
  // Group name for index g of family f, "unknown" for f.unknown().
  const std::string& group_name(std::size_t family, std::size_t group) const;

 private:
  std::vector<AttributeFamily> families_;
  std::size_t slot_count_ = 0;
  std::size_t plain_slot_count_ = 0;
  std::size_t plain_family_count_ = 0;
  std::string unknown_ = kUnknownGroup;
};

}  // namespace fairwatch::daemon
