#include "fairwatch/daemon/replay_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <variant>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/line_reader.h"

namespace fairwatch::daemon {
namespace {

// Prints "\r<command>: <N> events, <rate> events/s" to a terminal at most twice a second.
class Progress {
 public:
  Progress(const char* command, std::FILE* err)
      : command_(command), err_(err), enabled_(isatty(fileno(err)) != 0) {}
  void tick(std::uint64_t events) {
    if (!enabled_ || (events & 0xffff) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(err_, "\r%s: %llu events, %.0f events/s   ", command_,
                 static_cast<unsigned long long>(events), static_cast<double>(events) / seconds);
    std::fflush(err_);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(err_, "\n");
  }

 private:
  const char* command_;
  std::FILE* err_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

std::optional<std::string> flag_value(const std::vector<std::string>& arguments, std::size_t& i,
                                      const char* flag) {
  const std::string& argument = arguments[i];
  const std::string prefix = std::string(flag) + "=";
  if (argument.starts_with(prefix)) return argument.substr(prefix.size());
  if (argument == flag && i + 1 < arguments.size()) return arguments[++i];
  return std::nullopt;
}

std::optional<config::Config> load_config_reporting(const std::string& path, std::FILE* err) {
  config::LoadResult loaded = config::load_config_file(path);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    for (const config::ConfigError& error : *errors) {
      std::fprintf(err, "%s\n", error.to_string().c_str());
    }
    return std::nullopt;
  }
  return std::get<config::Config>(std::move(loaded));
}

bool feed_inputs(Engine& engine, const std::vector<std::string>& inputs, const char* command,
                 std::FILE* err) {
  Progress progress(command, err);
  for (const std::string& input : inputs) {
    const bool is_stdin = input == "-";
    const int fd = is_stdin ? STDIN_FILENO : ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(err, "%s: cannot open %s: %s\n", command, input.c_str(), std::strerror(errno));
      return false;
    }
    LineReader reader(fd);
    std::string_view line;
    while (reader.next(line)) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line
      engine.offer(line);
      progress.tick(engine.counters().read);
    }
    if (!is_stdin) ::close(fd);
    if (reader.error() != 0) {
      std::fprintf(err, "%s: error reading %s: %s\n", command, input.c_str(),
                   std::strerror(reader.error()));
      return false;
    }
  }
  progress.finish();
  return true;
}

}  // namespace fairwatch::daemon
