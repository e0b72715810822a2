// LineReader: reads newline-separated records from a file descriptor in large
// blocks, without copying lines it does not have to. Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fairwatch::daemon {

class LineReader {
 public:
  // Takes no ownership of fd. REQUIRES: fd is open for reading.
  explicit LineReader(int fd, std::size_t block_bytes = 1 << 20);

  // The next line without its '\n' (a final line without '\n' is returned too).
  // The view is valid until the next call. Returns false at end of input.
  bool next(std::string_view& line);
  // True if a read failed (errno was reported to the caller through error()).
  int error() const { return error_; }
  std::size_t bytes_read() const { return bytes_read_; }

 private:
  bool refill();
  int fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of unread data in buffer_
  std::size_t end_ = 0;    // end of valid data in buffer_
  bool eof_ = false;
  int error_ = 0;
  std::size_t bytes_read_ = 0;
};

}  // namespace fairwatch::daemon
