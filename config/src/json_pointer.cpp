#include "json_pointer.h"

namespace fairwatch::config::internal {

std::optional<std::string_view> json_pointer_problem(std::string_view text) {
  if (text.empty() || text.front() != '/') {
    return R"(a JSON pointer starting with "/")";
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '~' && (i + 1 == text.size() || (text[i + 1] != '0' && text[i + 1] != '1'))) {
      return R"(a JSON pointer with "~" only in "~0" or "~1")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> read_json_pointer(Reader& reader, const Item& item,
                                             bool may_be_disabled) {
  const std::string prefix = may_be_disabled ? R"("" (disabled) or )" : "";
  auto text = reader.string(item, prefix + R"(a JSON pointer starting with "/")");
  if (!text) {
    return std::nullopt;
  }
  if (text->empty() && may_be_disabled) {
    return text;
  }
  if (const auto problem = json_pointer_problem(*text)) {
    reader.expected(item, prefix + std::string(*problem));
    return std::nullopt;
  }
  return text;
}

}  // namespace fairwatch::config::internal
