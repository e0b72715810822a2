#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/version.h"

namespace fairwatch::daemon {

namespace {
constexpr const char* kUsage =
    "usage: fairwatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  demo          embedded Kafka, a synthetic biased screener and the daemon, live\n"
    "  replay        run the statistics over JSON-lines decision files or stdin\n"
    "  baseline      capture a drift baseline from JSON-lines decision files or stdin\n"
    "  check-config  validate a configuration file\n"
    "  simulate      produce the demo's synthetic decisions to a Kafka cluster\n"
    "  version       print the version\n"
    "\n"
    "See docs/cli.md for every option.\n";
}  // namespace

int run_fairwatch(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  if (arguments.empty()) {
    std::fputs(kUsage, err);
    return 2;
  }
  const std::string& command = arguments[0];
  const Arguments rest(arguments.begin() + 1, arguments.end());
  if (command == "replay") return run_replay(rest, out, err);
  if (command == "baseline") return run_baseline(rest, out, err);
  if (command == "check-config") return run_check_config(rest, out, err);
  if (command == "simulate") return run_simulate(rest, out, err);
  if (command == "demo") return run_demo(rest, out, err);
  if (command == "version" || command == "--version") {
    std::fprintf(out, "fairwatch %s\n", version());
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, out);
    return 0;
  }
  std::fprintf(err, "fairwatch: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}

}  // namespace fairwatch::daemon
