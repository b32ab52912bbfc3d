#pragma once
// The attach protocol between a container's monitor and its clients (`run`
// in the foreground, `attach`, `start -a`): frames of a 1-byte type, a
// 4-byte little-endian length and the payload, over a unix stream socket.
// Header-only and free of the rest of tug, because the monitor binary is
// kept small (its memory is paid once per running container).
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tug::monitor {

enum FrameType : uint8_t {
  kStdin = 0,     // client -> monitor: bytes for the container's stdin
  kStdout = 1,    // monitor -> client
  kStderr = 2,    // monitor -> client
  kExit = 3,      // monitor -> client: 4-byte exit code, then the monitor closes
  kStdinEof = 4,  // client -> monitor: close the container's stdin
  kResize = 5,    // client -> monitor: uint16 rows, uint16 cols
  // client -> monitor, 1 byte: kStdout or kStderr, whose reader went away
  // (`run ... | head -1`). The monitor closes its end of that stream (the
  // terminal for kStdout with -t): the container's next write there fails
  // with EPIPE (SIGPIPE), as it would have written to that reader itself.
  kReaderGone = 6,
};

constexpr uint32_t kMaxPayload = 1 << 16;

inline bool write_fully(int fd, const void* buf, size_t n) {
  auto p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

inline bool write_frame(int fd, FrameType type, const void* data, uint32_t len) {
  unsigned char hdr[5] = {
      type, static_cast<unsigned char>(len), static_cast<unsigned char>(len >> 8),
      static_cast<unsigned char>(len >> 16), static_cast<unsigned char>(len >> 24)};
  return write_fully(fd, hdr, sizeof hdr) && (len == 0 || write_fully(fd, data, len));
}

inline bool read_fully(int fd, void* buf, size_t n) {
  auto p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads one frame into buf (at least kMaxPayload bytes). False on EOF, error
// or an oversized frame.
inline bool read_frame(int fd, FrameType* type, char* buf, uint32_t* len) {
  unsigned char hdr[5];
  if (!read_fully(fd, hdr, sizeof hdr)) return false;
  *type = static_cast<FrameType>(hdr[0]);
  *len = static_cast<uint32_t>(hdr[1]) | static_cast<uint32_t>(hdr[2]) << 8 |
         static_cast<uint32_t>(hdr[3]) << 16 | static_cast<uint32_t>(hdr[4]) << 24;
  if (*len > kMaxPayload) return false;
  return *len == 0 || read_fully(fd, buf, *len);
}

}  // namespace tug::monitor
