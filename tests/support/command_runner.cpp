#include "command_runner.h"

#include <cstdio>

namespace fairwatch::testing {
namespace {

std::string slurp(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}

}  // namespace

CommandOutput run_command(const daemon::Arguments& arguments) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  CommandOutput result;
  result.status = daemon::run_fairwatch(arguments, out, err);
  result.out = slurp(out);
  result.err = slurp(err);
  std::fclose(out);
  std::fclose(err);
  return result;
}

}  // namespace fairwatch::testing
