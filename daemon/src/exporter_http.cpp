#include "exporter_http.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "fairwatch/daemon/log.h"

namespace fairwatch::daemon {
namespace {

// civetweb's callbacks carry no user data of ours (its user data is the
// CivetServer owned by prometheus::Exposer), so a request finds its server's
// readiness through the local port it arrived on.
class PortRegistry {
 public:
  static PortRegistry& instance() {
    static auto* registry = new PortRegistry;  // never destroyed: HTTP threads may outlive main
    return *registry;
  }

  void add(int port, std::shared_ptr<const Readiness> readiness) {
    std::lock_guard lock(mutex_);
    by_port_[port] = std::move(readiness);
  }

  void remove(int port, const Readiness* readiness) {
    std::lock_guard lock(mutex_);
    const auto it = by_port_.find(port);
    if (it != by_port_.end() && it->second.get() == readiness) by_port_.erase(it);
  }

  std::shared_ptr<const Readiness> find(int port) const {
    std::lock_guard lock(mutex_);
    const auto it = by_port_.find(port);
    return it == by_port_.end() ? nullptr : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<int, std::shared_ptr<const Readiness>> by_port_;
};

// While a server starts on this thread, civetweb's messages (e.g. "cannot
// bind to …") are collected here to explain a failure.
thread_local std::string* start_messages = nullptr;

int send_text(mg_connection* connection, int status, const std::string& body) {
  const mg_request_info* info = mg_get_request_info(connection);
  const bool head = info && info->request_method && std::strcmp(info->request_method, "HEAD") == 0;
  const std::string length = std::to_string(body.size());
  mg_response_header_start(connection, status);
  mg_response_header_add(connection, "Content-Type", "text/plain; charset=utf-8", -1);
  mg_response_header_add(connection, "Cache-Control", "no-store", -1);
  mg_response_header_add(connection, "Content-Length", length.c_str(), -1);
  mg_response_header_send(connection);
  if (!head) mg_write(connection, body.data(), body.size());
  return status;
}

int begin_request(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  if (info == nullptr || info->local_uri == nullptr) return 0;
  const std::string_view uri = info->local_uri;
  if (uri == "/healthz") return send_text(connection, 200, "ok");
  if (uri == "/readyz") {
    const auto readiness = PortRegistry::instance().find(info->server_port);
    if (!readiness) return send_text(connection, 503, "starting");
    const auto [ready, reason] = readiness->get();
    return ready ? send_text(connection, 200, "ready") : send_text(connection, 503, reason);
  }
  return 0;  // prometheus-cpp serves /metrics; civetweb answers 404 for the rest
}

int log_message(const mg_connection*, const char* message) {
  if (start_messages != nullptr) {
    if (!start_messages->empty()) *start_messages += "; ";
    *start_messages += message;
    return 1;
  }
  Log::global().write_limited("exporter.http", std::chrono::seconds(60), LogLevel::warning,
                              "HTTP server error", {{"error", std::string_view(message)}});
  return 1;
}

const CivetCallbacks& callbacks() {
  static const CivetCallbacks instance = [] {
    CivetCallbacks result;
    result.begin_request = begin_request;
    result.log_message = log_message;
    return result;
  }();
  return instance;
}

// civetweb takes numeric addresses only.
std::string civetweb_listen(const std::string& listen) {
  const std::string local = "localhost:";
  if (listen.compare(0, local.size(), local) == 0) {
    return "127.0.0.1:" + listen.substr(local.size());
  }
  return listen;
}

// The address a local client reaches a server listening on `listen` at.
std::string local_host(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0" || host == "localhost") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

// Opens and closes one TCP connection to host:port, waiting at most 100 ms.
void knock(const std::string& host, int port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v6;
  } else {
    return;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 &&
      errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
  ::close(fd);
}

}  // namespace

void Readiness::set(bool ready, std::string reason) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  reason_ = std::move(reason);
}

std::pair<bool, std::string> Readiness::get() const {
  std::lock_guard lock(mutex_);
  return {ready_, reason_};
}

std::variant<std::unique_ptr<HttpServer>, std::string> HttpServer::start(
    const std::string& listen, std::shared_ptr<const Readiness> readiness) {
  std::unique_ptr<HttpServer> server(new HttpServer);
  server->readiness_ = std::move(readiness);
  server->wake_host_ = local_host(civetweb_listen(listen));
  const std::vector<std::string> options = {
      "listening_ports", civetweb_listen(listen), "num_threads", "4", "request_timeout_ms", "10000",
  };
  std::string messages;
  start_messages = &messages;
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(options, &callbacks());
    server->ports_ = server->exposer_->GetListeningPorts();
  } catch (const std::exception& error) {
    start_messages = nullptr;
    return "cannot serve HTTP on " + listen + ": " + (messages.empty() ? error.what() : messages);
  }
  start_messages = nullptr;
  if (server->ports_.empty()) return "cannot serve HTTP on " + listen + ": no listening port";
  for (int port : server->ports_) PortRegistry::instance().add(port, server->readiness_);
  return server;
}

HttpServer::~HttpServer() {
  // civetweb's listener polls with a 2 s timeout and notices the stop flag
  // only when that poll returns: connections wake it so stopping is quick.
  std::atomic<bool> stopped = false;
  std::thread waker;
  if (exposer_ && !ports_.empty()) {
    waker = std::thread([this, &stopped] {
      while (!stopped.load()) {
        knock(wake_host_, ports_.front());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  exposer_.reset();
  stopped = true;
  if (waker.joinable()) waker.join();
  for (int port : ports_) PortRegistry::instance().remove(port, readiness_.get());
}

}  // namespace fairwatch::daemon
