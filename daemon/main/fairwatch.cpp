// `fairwatch`: the command-line tool (replay, check-config, …).
#include <cstdio>
#include <cstring>

#include "fairwatch/daemon/version.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("fairwatch %s\n", fairwatch::daemon::version());
    return 0;
  }
  std::fprintf(stderr, "usage: fairwatch --version\n");
  return 2;
}
