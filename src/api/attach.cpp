// POST /containers/{id}/attach (docker's hijacked connection) and
// /containers/{id}/resize: a client of the container's monitor, as `tug
// attach` is (container/attach.cpp), whose frames are re-encoded in
// docker's stream format.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "api/handlers.hpp"
#include "api/sessions.hpp"
#include "api/streams.hpp"
#include "container/logs.hpp"
#include "monitor/protocol.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

struct AttachWant {
  bool in = false, out = false, err = false;
  bool raw = false;  // the container has a terminal
};

// Waits until the container runs and returns a client connection to its
// monitor: the one an API start left for us, or a new one. None when the
// client goes away, or the container ran and exited (or went) meanwhile.
UniqueFd wait_for_start(container::Store& store, const container::Record& rec, AttachWaits& waits,
                        int client) {
  std::string started = store.state(rec.id).started_at;
  {
    std::lock_guard<std::mutex> lk(waits.mu);
    ++waits.waiting[rec.id];
  }
  ScopeExit leave([&] {
    std::lock_guard<std::mutex> lk(waits.mu);
    if (--waits.waiting[rec.id] > 0) return;
    // The last one out drops what no one took (its monitor hands over).
    waits.waiting.erase(rec.id);
    waits.handed.erase(rec.id);
  });
  using namespace std::chrono_literals;
  for (;;) {
    bool starting = false;
    {
      std::lock_guard<std::mutex> lk(waits.mu);
      auto it = waits.handed.find(rec.id);
      if (it != waits.handed.end() && !it->second.empty()) {
        UniqueFd fd = std::move(it->second.back());
        it->second.pop_back();
        return fd;
      }
      starting = waits.starting.count(rec.id) > 0;
    }
    if (!starting) {
      if (!store.find(rec.id)) return {};
      container::State st = store.state(rec.id);
      if (st.status == "running") {
        try {
          return container::connect_attach(store.paths(), rec);
        } catch (const Error&) {
          return {};  // exited between the two looks
        }
      }
      if (st.started_at != started) return {};
    }
    if (client_gone(client)) return {};
    std::this_thread::sleep_for(20ms);
  }
}

// Relays between the client and the monitor until the container exits, the
// client goes away or the monitor does.
void relay(int client, int mon, const AttachWant& want, std::string early) {
  using namespace monitor;
  std::string to_monitor;  // frames waiting for room (see container/attach.cpp's Outbox)
  auto queue = [&](FrameType type, const char* data, size_t n) {
    unsigned char hdr[5] = {type, static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                            static_cast<unsigned char>(n >> 16),
                            static_cast<unsigned char>(n >> 24)};
    to_monitor.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
    to_monitor.append(data, n);
  };
  bool client_open = true;  // the client still sends (its stdin)
  if (want.in && !early.empty()) queue(kStdin, early.data(), early.size());
  static thread_local char buf[kMaxPayload];
  for (;;) {
    bool read_client = client_open && to_monitor.empty();
    struct pollfd fds[2] = {
        {client, static_cast<short>(read_client ? POLLIN : 0), 0},
        {mon, static_cast<short>(POLLIN | (to_monitor.empty() ? 0 : POLLOUT)), 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & POLLOUT) {
      ssize_t w = ::send(mon, to_monitor.data(), to_monitor.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) to_monitor.erase(0, static_cast<size_t>(w));
      if (w < 0 && errno != EAGAIN && errno != EINTR) return;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      FrameType type;
      uint32_t len = 0;
      if (!read_frame(mon, &type, buf, &len)) return;
      if ((type == kStdout && want.out) || (type == kStderr && want.err)) {
        if (!send_output(client, want.raw, type == kStdout ? 1 : 2, buf, len)) return;
      } else if (type == kExit) {
        return;
      }
    }
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      if (!(fds[0].revents & POLLIN)) return;  // gone both ways
    }
    if (read_client && (fds[0].revents & POLLIN)) {
      ssize_t n = ::read(client, buf, sizeof buf);
      if (n > 0) {
        if (want.in) queue(kStdin, buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        // docker's client ends its stdin with a half close: the
        // container's stdin ends, its output still flows back.
        client_open = false;
        if (want.in) queue(kStdinEof, nullptr, 0);
        if (n < 0) return;
      }
    }
  }
}

}  // namespace

Response container_attach(Context& ctx, const Target& t, const std::string& id, bool upgrade) {
  container::Store store(ctx.paths, ctx.mapping);
  auto found = store.find(id);
  if (!found) throw ApiError(404, "No such container: " + id);
  container::Record rec = *found;
  AttachWant want;
  want.in = query_bool(t, "stdin") && rec.spec.stdin_open;
  want.out = query_bool(t, "stdout");
  want.err = query_bool(t, "stderr");
  want.raw = rec.spec.tty;
  bool stream = query_bool(t, "stream"), logs = query_bool(t, "logs");
  if (!stream && !logs) throw ApiError(400, "Bad parameters: you must choose at least one stream");
  if (rec.spec.log_driver == "passthrough")
    throw ApiError(501, "container " + rec.name +
                            " uses the passthrough log driver: its output goes to the stdio of "
                            "the command that started it, not to attached clients");
  Response r;
  r.status = upgrade ? 101 : 200;
  r.content_type = want.raw ? kRawStream : kMultiplexedStream;
  container::emit_event(store, rec, "attach");
  r.stream = [paths = ctx.paths, mapping = ctx.mapping, sessions = ctx.sessions, rec, want, stream,
              logs](UniqueFd sock, std::string early) {
    container::Store s(paths, mapping);
    int client = sock.get();
    if (logs) {
      bool ok = true;
      container::read_logs(s, rec, {}, [&](const container::LogRecord& l) {
        if (l.err ? !want.err : !want.out) return true;
        std::string text = l.text + (l.full ? "\n" : "");
        return ok = send_output(client, want.raw, l.err ? 2 : 1, text.data(), text.size());
      });
      if (!ok) return;
    }
    if (!stream) return;
    UniqueFd mon = wait_for_start(s, rec, sessions->attach, client);
    if (!mon) return;
    relay(client, mon.get(), want, std::move(early));
  };
  return r;
}

Response container_resize(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  auto found = store.find(id);
  if (!found) throw ApiError(404, "No such container: " + id);
  auto dim = [&](const char* key) {
    auto it = t.query.find(key);
    if (it == t.query.end() || it->second.empty() ||
        it->second.find_first_not_of("0123456789") != std::string::npos || it->second.size() > 5)
      throw ApiError(400, std::string("invalid value for ") + key);
    return static_cast<unsigned>(std::stoul(it->second));
  };
  unsigned h = dim("h"), w = dim("w");
  log_debug("api: resize " + found->id.substr(0, 12) + " to " + std::to_string(h) + "x" +
            std::to_string(w) + " (" + store.state(found->id).status + ")");
  if (store.state(found->id).status != "running")
    throw ApiError(409, "Container " + found->id + " is not running");
  container::resize_terminal(ctx.paths, *found, h, w);
  Response r;
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace tug::api
