// Runs a `fairwatch` subcommand in-process for tests, capturing its exit
// status, stdout and stderr (through temporary files). Thread-compatible.
#pragma once

#include <string>

#include "fairwatch/daemon/commands.h"

namespace fairwatch::testing {

struct CommandOutput {
  int status = -1;
  std::string out;
  std::string err;
};

// run_fairwatch(arguments) with its output captured.
CommandOutput run_command(const daemon::Arguments& arguments);

}  // namespace fairwatch::testing
