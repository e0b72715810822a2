#include <gtest/gtest.h>

#include "child_process.h"

namespace fairwatch::testing {
namespace {

TEST(Fairwatchd, PrintsUsageWithoutConfig) {
  ChildProcess daemon({FAIRWATCHD_PATH}, ::testing::TempDir() + "/fairwatchd-usage");
  const auto status = daemon.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
}

}  // namespace
}  // namespace fairwatch::testing
