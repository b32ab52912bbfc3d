#pragma once
// `tug system service`: the Engine API on a socket, for as long as clients
// use it. Not a daemon: it is a client of the same store as the CLI, it
// starts no containers' processes of its own (each container keeps its
// tug-monitor), and it exits after `idle_seconds` with no open connection.
#include <string>

#include "api/router.hpp"

namespace tug::api {

struct ServeOptions {
  // "unix:///path", "tcp://host:port", or empty: the default socket
  // (default_socket()) or, under systemd socket activation, fd 3.
  std::string uri;
  int idle_seconds = 5;  // 0 = never exit on idle
};

// unix://<runtime dir>/tug.sock: $XDG_RUNTIME_DIR/tug/tug.sock, or the
// /tmp/tug-<uid> fallback of config/paths.
std::string default_socket(const Paths& paths);

// Serves until idle or SIGTERM/SIGINT. Throws Error for a URI it cannot use
// or a socket that is already served.
void serve(Context& ctx, const ServeOptions& o);

// Limits on what a client may send (a request larger gets 431/413 and the
// connection is closed).
inline constexpr size_t kHeaderLimit = 64 * 1024;
inline constexpr size_t kBodyLimit = 16 * 1024 * 1024;
// A connection without a request for this long is closed (streams, once
// answered, have no such limit: they end with their container or client).
inline constexpr int kConnectionTimeout = 120;

}  // namespace tug::api
