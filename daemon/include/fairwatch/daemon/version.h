// The build's version string, e.g. "0.1.0".
#pragma once

namespace fairwatch::daemon {

const char* version();

}  // namespace fairwatch::daemon
