#include "fairwatch/config/load.h"
#include "fairwatch/daemon/baseline.h"
#include "fairwatch/daemon/commands.h"

namespace fairwatch::daemon {

int run_check_config(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  if (arguments.size() != 1 || arguments[0].starts_with("-")) {
    std::fprintf(err, "usage: fairwatch check-config FILE\n");
    return 2;
  }
  const config::LoadResult result = config::load_config_file(arguments[0]);
  if (const auto* errors = std::get_if<std::vector<config::ConfigError>>(&result)) {
    for (const config::ConfigError& error : *errors) {
      std::fprintf(err, "%s\n", error.to_string().c_str());
    }
    std::fprintf(err, "%s: invalid (%zu error%s)\n", arguments[0].c_str(), errors->size(),
                 errors->size() == 1 ? "" : "s");
    return 1;
  }
  // The baseline file the daemon would refuse to start with.
  const config::Config& config = std::get<config::Config>(result);
  if (!config.drift.baseline.empty()) {
    const auto baseline = read_comparable_baseline(config.drift.baseline, config);
    if (const auto* problem = std::get_if<std::string>(&baseline)) {
      std::fprintf(err, "%s: drift.baseline: %s\n", arguments[0].c_str(), problem->c_str());
      std::fprintf(err, "%s: invalid (1 error)\n", arguments[0].c_str());
      return 1;
    }
  }
  std::fprintf(out, "%s: valid\n", arguments[0].c_str());
  return 0;
}

}  // namespace fairwatch::daemon
