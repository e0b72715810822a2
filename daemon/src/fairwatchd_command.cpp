#include "fairwatch/daemon/commands.h"

namespace fairwatch::daemon {

int run_fairwatchd(const Arguments&, std::FILE*, std::FILE* err) {
  std::fputs("fairwatchd: not yet implemented\n", err);
  return 1;
}

}  // namespace fairwatch::daemon
