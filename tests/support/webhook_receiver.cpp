#include "webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

namespace fairwatch::testing {
namespace {

std::map<std::string, std::string> string_map(simdjson::dom::element element) {
  std::map<std::string, std::string> result;
  simdjson::dom::object object;
  if (element.get_object().get(object)) return result;
  for (const auto field : object) {
    std::string_view value;
    if (!field.value.get_string().get(value)) {
      result.emplace(std::string(field.key), std::string(value));
    }
  }
  return result;
}

void parse_notification(WebhookNotification& notification) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(notification.body).get(root)) return;
  std::string_view status;
  if (root["status"].get_string().get(status)) return;
  notification.status = std::string(status);
  simdjson::dom::array alerts;
  if (root["alerts"].get_array().get(alerts)) return;
  for (simdjson::dom::element item : alerts) {
    WebhookAlert alert;
    std::string_view alert_status;
    if (!item["status"].get_string().get(alert_status)) alert.status = std::string(alert_status);
    simdjson::dom::element labels;
    if (!item["labels"].get(labels)) alert.labels = string_map(labels);
    simdjson::dom::element annotations;
    if (!item["annotations"].get(annotations)) alert.annotations = string_map(annotations);
    notification.alerts.push_back(std::move(alert));
  }
  notification.parsed = true;
}

// Reads until the end of the headers and Content-Length body bytes, or gives
// up after 5 s of silence. Returns the whole request.
std::optional<std::string> read_request(int connection) {
  std::string request;
  std::size_t body_start = std::string::npos;
  std::size_t content_length = 0;
  char buffer[8192];
  while (true) {
    if (body_start != std::string::npos && request.size() >= body_start + content_length) {
      return request;
    }
    pollfd ready{connection, POLLIN, 0};
    if (::poll(&ready, 1, 5000) <= 0) return std::nullopt;
    const ssize_t n = ::read(connection, buffer, sizeof buffer);
    if (n <= 0) return std::nullopt;
    request.append(buffer, static_cast<std::size_t>(n));
    if (body_start == std::string::npos) {
      const std::size_t end = request.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_start = end + 4;
      std::string headers = request.substr(0, end);
      for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::size_t length_at = headers.find("content-length:");
      if (length_at != std::string::npos) {
        content_length = std::strtoull(headers.c_str() + length_at + 15, nullptr, 10);
      }
    }
  }
}

}  // namespace

WebhookReceiver::WebhookReceiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error_ = std::string("bind/listen: ") + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::vector<WebhookNotification> WebhookReceiver::notifications() const {
  const std::lock_guard lock(mutex_);
  return notifications_;
}

void WebhookReceiver::serve() {
  while (!stopping_.load()) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    const int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    handle(connection);
    ::close(connection);
  }
}

void WebhookReceiver::handle(int connection) {
  const std::optional<std::string> request = read_request(connection);
  if (!request) return;
  WebhookNotification notification;
  notification.received = std::chrono::steady_clock::now();
  const std::size_t path_start = request->find(' ');
  const std::size_t path_end = request->find(' ', path_start + 1);
  if (path_start != std::string::npos && path_end != std::string::npos) {
    notification.path = request->substr(path_start + 1, path_end - path_start - 1);
  }
  notification.body = request->substr(request->find("\r\n\r\n") + 4);
  parse_notification(notification);
  constexpr std::string_view kResponse =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  [[maybe_unused]] const ssize_t written = ::write(connection, kResponse.data(), kResponse.size());
  const std::lock_guard lock(mutex_);
  notifications_.push_back(std::move(notification));
}

}  // namespace fairwatch::testing
