#include "fairwatch/daemon/attribute_layout.h"

#include <algorithm>

namespace fairwatch::daemon {

AttributeLayout::AttributeLayout(const config::Config& config) {
  for (std::size_t i = 0; i < config.attributes.size(); ++i) {
    families_.push_back({config.attributes[i].name, config.attributes[i].groups, {i}, {1}});
  }
  for (const std::vector<std::string>& names : config.intersections) {
    AttributeFamily family;
    for (const std::string& name : names) {
      const auto it =
          std::find_if(config.attributes.begin(), config.attributes.end(),
                       [&](const config::AttributeConfig& a) { return a.name == name; });
      family.components.push_back(static_cast<std::size_t>(it - config.attributes.begin()));
    }
    // Groups in row-major order of the components: the last component varies fastest.
    family.groups = {""};
    for (std::size_t component : family.components) {
      const std::string separator =
          family.name.empty() ? "" : std::string(1, kIntersectionSeparator);
      family.name += separator + config.attributes[component].name;
      std::vector<std::string> product;
      for (const std::string& prefix : family.groups) {
        for (const std::string& group : config.attributes[component].groups) {
          std::string name = prefix;
          if (!name.empty()) name += kIntersectionSeparator;
          name += group;
          product.push_back(std::move(name));
        }
      }
      family.groups = std::move(product);
    }
    family.strides.assign(family.components.size(), 1);
    for (std::size_t k = family.components.size(); k-- > 1;) {
      family.strides[k - 1] =
          family.strides[k] * config.attributes[family.components[k]].groups.size();
    }
    families_.push_back(std::move(family));
  }
  for (AttributeFamily& family : families_) {
    family.first_slot = static_cast<std::uint32_t>(slot_count_);
    slot_count_ += family.groups.size() + 1;
    if (family.components.size() == 1) {
      plain_slot_count_ = slot_count_;
      ++plain_family_count_;
    }
  }
}

void AttributeLayout::slots_of(const Decision& decision, std::span<std::uint32_t> slots) const {
  for (std::size_t f = 0; f < families_.size(); ++f) {
    slots[f] = families_[f].first_slot + static_cast<std::uint32_t>(group_of(f, decision));
  }
}

std::size_t AttributeLayout::group_of(std::size_t family, const Decision& decision) const {
  const AttributeFamily& f = families_[family];
  if (f.components.size() == 1) return decision.groups[f.components[0]];
  std::size_t index = 0;
  for (std::size_t k = 0; k < f.components.size(); ++k) {
    const std::size_t component = f.components[k];
    const std::size_t group = decision.groups[component];
    const std::size_t unknown = families_[component].unknown();
    if (group >= unknown) return f.unknown();
    index += group * f.strides[k];
  }
  return index;
}

const std::string& AttributeLayout::group_name(std::size_t family, std::size_t group) const {
  const AttributeFamily& f = families_[family];
  return group < f.groups.size() ? f.groups[group] : unknown_;
}

}  // namespace fairwatch::daemon
