#include "fairwatch/daemon/version.h"

namespace fairwatch::daemon {

const char* version() { return FAIRWATCH_VERSION; }

}  // namespace fairwatch::daemon
