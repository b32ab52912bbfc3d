#pragma once
// docker's stream encodings on a taken-over connection (logs, attach, exec):
// without a terminal, stdout and stderr share the connection in frames of
// an 8-byte header (stream 1 or 2, three zero bytes, a big-endian uint32
// length) and the payload; with one, the bytes go as they are.
#include <cstddef>
#include <string>

namespace tug::api {

inline constexpr const char* kRawStream = "application/vnd.docker.raw-stream";
inline constexpr const char* kMultiplexedStream = "application/vnd.docker.multiplexed-stream";

// The 8-byte header of a frame of n bytes on stream (1 stdout, 2 stderr).
std::string frame_header(int stream, size_t n);

// Writes all of data to the client; false when it is gone.
bool send_all(int fd, const char* data, size_t n);
// write(2) to a pipe or terminal without the SIGPIPE a gone reader raises
// (the service keeps SIGPIPE's default for what it starts): what was
// written, or -1 with errno (EPIPE: the reader is gone).
long write_quietly(int fd, const char* data, size_t n);
// One chunk of a container's output: framed unless raw (a terminal's).
bool send_output(int fd, bool raw, int stream, const char* data, size_t n);

// True when the client has closed its connection. With may_half_close, a
// client that only ended what it sends (docker's does at its stdin's end)
// is still there; without (logs, whose clients send nothing), that end is
// its going, which is all a TCP peer's close shows. Does not block.
bool client_gone(int fd, bool may_half_close = true);

}  // namespace tug::api
