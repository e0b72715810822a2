// Test support: the reference CSV files under tests/reference (written by the
// R and Python generators there) and relative comparison against them.
// Header-only; used by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fairwatch::test_support {

// A comma-separated file with a header row; "NA" cells read as nullopt.
class Csv {
 public:
  explicit Csv(const std::string& name) {
    const std::string path = std::string(FAIRWATCH_TEST_DATA_DIR) + "/reference/" + name;
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line)) {
      ADD_FAILURE() << "cannot read " << path;
      return;
    }
    const std::vector<std::string> header = split(line, ',');
    for (std::size_t i = 0; i < header.size(); ++i) {
      columns_[header[i]] = i;
    }
    while (std::getline(in, line)) {
      if (!line.empty()) {
        rows_.push_back(split(line, ','));
      }
    }
  }

  std::size_t size() const { return rows_.size(); }
  const std::string& at(std::size_t row, const std::string& column) const {
    return rows_.at(row).at(columns_.at(column));
  }
  std::optional<double> number(std::size_t row, const std::string& column) const {
    const std::string& text = at(row, column);
    if (text == "NA") {
      return std::nullopt;
    }
    return std::strtod(text.c_str(), nullptr);
  }
  std::uint64_t count(std::size_t row, const std::string& column) const {
    return std::stoull(at(row, column));
  }
  // A space-separated list of numbers.
  std::vector<double> numbers(std::size_t row, const std::string& column) const {
    std::vector<double> values;
    for (const std::string& cell : split(at(row, column), ' ')) {
      values.push_back(std::strtod(cell.c_str(), nullptr));
    }
    return values;
  }
  std::string describe(std::size_t row) const {
    std::string text = "row " + std::to_string(row + 2) + ":";
    for (const std::string& cell : rows_.at(row)) {
      text += " " + cell;
    }
    return text;
  }

  static std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, separator)) {
      parts.push_back(part);
    }
    return parts;
  }

 private:
  std::map<std::string, std::size_t> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// |actual − expected| <= relative·|expected| (or both equal).
inline ::testing::AssertionResult Near(double actual, double expected, double relative) {
  if (actual == expected) {
    return ::testing::AssertionSuccess();
  }
  const double error = std::fabs(actual - expected);
  if (std::isfinite(error) && error <= relative * std::fabs(expected)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << std::setprecision(17) << actual << " vs expected " << expected << " (relative error "
         << error / std::fabs(expected) << ")";
}

}  // namespace fairwatch::test_support
