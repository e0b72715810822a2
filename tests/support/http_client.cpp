#include "http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

namespace fairwatch::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// Waits for `events` on fd; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// Decodes a chunked body; nullopt when incomplete or malformed.
std::optional<std::string> dechunk(std::string_view data) {
  std::string body;
  std::size_t at = 0;
  for (;;) {
    const auto line_end = data.find("\r\n", at);
    if (line_end == std::string_view::npos) return std::nullopt;
    const std::string size_text(data.substr(at, line_end - at));
    std::size_t size = 0;
    try {
      size = std::stoul(size_text, nullptr, 16);  // chunk extensions after ';' are ignored
    } catch (const std::exception&) {
      return std::nullopt;
    }
    at = line_end + 2;
    if (size == 0) return body;  // trailers, if any, are ignored
    if (data.size() < at + size + 2) return std::nullopt;
    body.append(data.substr(at, size));
    at += size + 2;
  }
}

// Connects to host:port before the deadline; -1 and `error` on failure.
int connect_to(const std::string& host, int port, Clock::time_point deadline, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses); rc != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    int so_error = errno;
    if (so_error == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
      socklen_t length = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
      if (so_error == 0) break;
    } else if (so_error == EINPROGRESS) {
      so_error = ETIMEDOUT;
    }
    error = "cannot connect to " + host + ":" + service + ": " + std::strerror(so_error);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(addresses);
  return fd;
}

HttpResponse http_request(const std::string& method, const std::string& host, int port,
                          const std::string& path, std::string_view request_body,
                          std::string_view content_type, std::chrono::milliseconds timeout) {
  HttpResponse response;
  const auto deadline = Clock::now() + timeout;
  const Socket socket(connect_to(host, port, deadline, response.error));
  if (socket.fd() < 0) return response;

  const std::string host_header =
      host.find(':') != std::string::npos ? "[" + host + "]" : host;  // IPv6 literal
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host_header + ":" +
                        std::to_string(port) +
                        "\r\nAccept-Encoding: identity\r\nConnection: close\r\n";
  if (method != "GET") {
    request += "Content-Type: " + std::string(content_type) +
               "\r\nContent-Length: " + std::to_string(request_body.size()) + "\r\n";
  }
  request += "\r\n";
  request += request_body;
  for (std::size_t sent = 0; sent < request.size();) {
    if (!wait_for(socket.fd(), POLLOUT, deadline)) {
      response.error = "timed out sending the request";
      return response;
    }
    const ssize_t n =
        ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      response.error = std::string("send: ") + std::strerror(errno);
      return response;
    }
    if (n > 0) sent += static_cast<std::size_t>(n);
  }

  std::string data;
  std::optional<std::size_t> body_start;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  char buffer[16384];
  for (;;) {
    if (body_start) {
      const std::string_view body = std::string_view(data).substr(*body_start);
      if (content_length && body.size() >= *content_length) {
        response.body = std::string(body.substr(0, *content_length));
        return response;
      }
      if (chunked) {
        if (auto decoded = dechunk(body)) {
          response.body = std::move(*decoded);
          return response;
        }
      }
    }
    if (!wait_for(socket.fd(), POLLIN, deadline)) {
      response.status = 0;
      response.error = "timed out reading the response";
      return response;
    }
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      response.status = 0;
      response.error = std::string("recv: ") + std::strerror(errno);
      return response;
    }
    if (n == 0) break;  // connection closed
    data.append(buffer, static_cast<std::size_t>(n));
    if (body_start) continue;
    const auto header_end = data.find("\r\n\r\n");
    if (header_end == std::string::npos) continue;
    body_start = header_end + 4;
    const std::string_view head = std::string_view(data).substr(0, header_end);
    const auto first_line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, first_line_end);
    // "HTTP/1.1 200 OK"
    const auto space = status_line.find(' ');
    if (status_line.rfind("HTTP/", 0) != 0 || space == std::string_view::npos) {
      response.error = "not an HTTP response: " + std::string(status_line);
      return response;
    }
    response.status = std::atoi(std::string(status_line.substr(space + 1, 3)).c_str());
    std::size_t at = first_line_end == std::string_view::npos ? head.size() : first_line_end + 2;
    while (at < head.size()) {
      auto end = head.find("\r\n", at);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view line = head.substr(at, end - at);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        response.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
      }
      at = end + 2;
    }
    if (const auto it = response.headers.find("transfer-encoding");
        it != response.headers.end() && lower(it->second).find("chunked") != std::string::npos) {
      chunked = true;
    } else if (const auto it = response.headers.find("content-length");
               it != response.headers.end()) {
      content_length = std::strtoull(it->second.c_str(), nullptr, 10);
    }
  }
  // The server closed the connection.
  if (!body_start) {
    response.status = 0;
    response.error = data.empty() ? "connection closed without a response"
                                  : "connection closed inside the response headers";
    return response;
  }
  const std::string_view body = std::string_view(data).substr(*body_start);
  if (chunked) {
    if (auto decoded = dechunk(body)) {
      response.body = std::move(*decoded);
      return response;
    }
    response.status = 0;
    response.error = "connection closed inside a chunked body";
    return response;
  }
  if (content_length && body.size() < *content_length) {
    response.status = 0;
    response.error = "connection closed after " + std::to_string(body.size()) + " of " +
                     std::to_string(*content_length) + " body bytes";
    return response;
  }
  response.body = std::string(body);
  return response;
}

}  // namespace

HttpResponse http_get(const std::string& host, int port, const std::string& path,
                      std::chrono::milliseconds timeout) {
  return http_request("GET", host, port, path, {}, {}, timeout);
}

HttpResponse http_post(const std::string& host, int port, const std::string& path,
                       std::string_view body, std::string_view content_type,
                       std::chrono::milliseconds timeout) {
  return http_request("POST", host, port, path, body, content_type, timeout);
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string result;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      result.push_back(c);
    } else {
      result.push_back('%');
      result.push_back(kHex[u >> 4]);
      result.push_back(kHex[u & 15]);
    }
  }
  return result;
}

}  // namespace fairwatch::testing
