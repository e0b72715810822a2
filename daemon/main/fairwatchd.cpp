// `fairwatchd`: the long-running daemon. All logic lives in fairwatch::daemon.
#include <cstdio>

#include "fairwatch/daemon/commands.h"

int main(int argc, char** argv) {
  return fairwatch::daemon::run_fairwatchd(fairwatch::daemon::Arguments(argv + 1, argv + argc),
                                           stdout, stderr);
}
