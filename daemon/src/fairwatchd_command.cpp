#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <thread>

#include "fairwatch/config/load.h"
#include "fairwatch/daemon/commands.h"
#include "fairwatch/daemon/daemon.h"
#include "fairwatch/daemon/log.h"
#include "fairwatch/daemon/version.h"

namespace fairwatch::daemon {
namespace {

constexpr const char* kUsage = "usage: fairwatchd --config FILE\n";

// Blocks SIGTERM, SIGINT and SIGHUP in every thread created after this call
// and turns them into stop/reload requests on a dedicated thread.
class SignalThread {
 public:
  explicit SignalThread(Daemon& daemon) : daemon_(daemon) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGHUP);
    sigaddset(&signals_, SIGUSR1);  // used only to wake the thread at exit
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this] { loop(); });
  }
  ~SignalThread() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }

 private:
  void loop() {
    while (!done_) {
      int signal_number = 0;
      if (sigwait(&signals_, &signal_number) != 0) continue;
      if (signal_number == SIGHUP) {
        Log::global().info("SIGHUP: reloading the config");
        daemon_.request_reload();
      } else if (signal_number == SIGTERM || signal_number == SIGINT) {
        Log::global().info("stop requested",
                           {{"signal", static_cast<std::int64_t>(signal_number)}});
        daemon_.request_stop();
      }
    }
  }

  Daemon& daemon_;
  sigset_t signals_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int run_fairwatchd(const Arguments& arguments, std::FILE* out, std::FILE* err) {
  std::string config_path;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--config" && i + 1 < arguments.size()) {
      config_path = arguments[++i];
    } else if (arguments[i].starts_with("--config=")) {
      config_path = arguments[i].substr(9);
    } else if (arguments[i] == "--version") {
      std::fprintf(out, "fairwatchd %s\n", version());
      return 0;
    } else {
      std::fprintf(err, "fairwatchd: unknown argument %s\n%s", arguments[i].c_str(), kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fputs(kUsage, err);
    return 2;
  }
  // Few malloc arenas, and large blocks (a scrape's serialized /metrics page)
  // returned to the system at once: keeps the resident set near the live state.
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
  // Signals are blocked before any thread starts, so only the signal thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Log& log = Log::global();
  log.set_output(err);
  config::LoadResult loaded = config::load_config_file(config_path);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    for (const config::ConfigError& error : *errors) {
      log.error("invalid config", {{"error", std::string_view(error.to_string())}});
    }
    return 1;
  }
  auto config = std::make_shared<const config::Config>(std::get<config::Config>(std::move(loaded)));
  log.set_level(config->logging.level);
  log.info("fairwatchd starting",
           {{"version", std::string_view(version())}, {"config", std::string_view(config_path)}});
  DaemonOptions options;
  options.config_path = config_path;
  auto created = Daemon::create(config, std::move(options));
  if (auto* error = std::get_if<std::string>(&created)) {
    log.error("cannot start", {{"error", std::string_view(*error)}});
    return 1;
  }
  Daemon& daemon = *std::get<std::unique_ptr<Daemon>>(created);
  const SignalThread signal_thread(daemon);
  return daemon.run();
}

}  // namespace fairwatch::daemon
