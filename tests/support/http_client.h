// A tiny blocking HTTP/1.1 client for tests: one GET or POST per connection
// ("Connection: close"), bodies delimited by Content-Length, chunked
// transfer encoding or the end of the connection. No TLS, no redirects.
// Thread-compatible (no shared state).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace fairwatch::testing {

struct HttpResponse {
  int status = 0;  // 0 when no valid response was received (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string error;                           // why status is 0
};

// GETs `path` (with any query string) from host:port. `host` is a name or a
// numeric address. Never throws; gives up after `timeout`.
HttpResponse http_get(const std::string& host, int port, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// POSTs `body` with the given Content-Type; otherwise as http_get.
HttpResponse http_post(const std::string& host, int port, const std::string& path,
                       std::string_view body, std::string_view content_type = "application/json",
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Percent-encodes `text` for a query string value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace fairwatch::testing
