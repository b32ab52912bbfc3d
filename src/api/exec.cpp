// Exec: POST /containers/{id}/exec makes an instance (kept by the service,
// api/sessions.hpp), POST /exec/{id}/start runs it through
// container::exec_begin, `tug exec`'s operation for a front end that
// relays the stdio itself (over the hijacked connection here); GET /exec/{id}/json and POST
// /exec/{id}/resize follow it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "api/handlers.hpp"
#include "api/sessions.hpp"
#include "api/streams.hpp"
#include "container/frontend.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

std::vector<std::string> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (j[key].is_string()) return {j[key].get<std::string>()};
  if (!j[key].is_array()) throw ApiError(400, std::string(key) + " must be an array of strings");
  for (const auto& e : j[key]) {
    if (!e.is_string()) throw ApiError(400, std::string(key) + " must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

bool flag(const json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

json parse_body(const std::string& body) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError(400, "invalid JSON in the request body");
  return j;
}

std::shared_ptr<ExecInstance> find_exec(Context& ctx, const std::string& id) {
  std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
  auto it = ctx.sessions->execs.by_id.find(id);
  if (it == ctx.sessions->execs.by_id.end()) throw ApiError(404, "No such exec instance: " + id);
  return it->second;
}

// The command's output to the client, the client's bytes to its stdin,
// until its output ends (or the client goes: its streams are closed, so it
// gets EOF and EPIPE as with a vanished terminal). Its stdin is written
// without blocking: a command that writes while we wait for it to read
// (cat) must find us reading.
void relay(int client, runtime::Started& s, const ExecInstance& x, std::string early) {
  bool tty = x.opts.tty;
  int in = tty ? s.terminal.get() : s.in.get();
  int out = tty ? s.terminal.get() : s.out.get();
  int err = tty ? -1 : s.err.get();
  if (in >= 0) ::fcntl(in, F_SETFL, ::fcntl(in, F_GETFL) | O_NONBLOCK);
  bool client_open = true, end_input = false;
  std::string pending = in >= 0 ? std::move(early) : std::string();
  char buf[65536];
  while (out >= 0 || err >= 0) {
    if (in >= 0 && pending.empty() && end_input) {
      // docker's half close is the end of the command's stdin (a
      // terminal's end of input: ^D at a line's start).
      if (tty) {
        (void)write_quietly(in, "\x04", 1);
      } else {
        s.in.reset();
      }
      in = -1;
    }
    bool feeding = in >= 0 && !pending.empty();
    struct pollfd fds[4] = {{out, POLLIN, 0},
                            {err, POLLIN, 0},
                            {client, static_cast<short>(client_open && !feeding ? POLLIN : 0), 0},
                            {feeding ? in : -1, POLLOUT, 0}};
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out : err;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        bool wanted = i == 0 ? x.attach_out : x.attach_err;
        if (wanted && !send_output(client, tty, i + 1, buf, static_cast<size_t>(n))) return;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd = -1;  // EOF, or EIO: the terminal's last holder is gone
      }
    }
    if (feeding && (fds[3].revents & (POLLOUT | POLLERR | POLLHUP))) {
      long w = write_quietly(in, pending.data(), pending.size());
      if (w > 0) {
        pending.erase(0, static_cast<size_t>(w));
      } else if (w < 0 && errno != EAGAIN) {
        pending.clear();  // the command closed its stdin
        end_input = true;
      }
    }
    if (fds[2].revents & (POLLHUP | POLLERR | POLLNVAL) && !(fds[2].revents & POLLIN)) return;
    if (client_open && !feeding && (fds[2].revents & POLLIN)) {
      ssize_t n = ::read(client, buf, sizeof buf);
      if (n > 0) {
        if (in >= 0) pending.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        client_open = false;
        end_input = true;
        if (n < 0) return;
      }
    }
  }
}

}  // namespace

Response exec_create(Context& ctx, const Target&, const std::string& id, const std::string& body) {
  container::Store store(ctx.paths, ctx.mapping);
  auto rec = store.find(id);
  if (!rec) throw ApiError(404, "No such container: " + id);
  json j = parse_body(body);
  auto x = std::make_shared<ExecInstance>();
  x->container = rec->id;
  x->opts.command = string_list(j, "Cmd");
  if (x->opts.command.empty()) throw ApiError(400, "No exec command specified");
  x->opts.env = string_list(j, "Env");
  if (j.contains("User") && j["User"].is_string() && !j["User"].get<std::string>().empty())
    x->opts.user = j["User"].get<std::string>();
  if (j.contains("WorkingDir") && j["WorkingDir"].is_string() &&
      !j["WorkingDir"].get<std::string>().empty())
    x->opts.workdir = j["WorkingDir"].get<std::string>();
  x->opts.tty = flag(j, "Tty");
  x->opts.privileged = flag(j, "Privileged");
  x->attach_in = flag(j, "AttachStdin");
  x->attach_out = flag(j, "AttachStdout");
  x->attach_err = flag(j, "AttachStderr");
  x->opts.interactive = x->attach_in;
  container::State st = store.state(rec->id);
  if (st.status != "running") throw ApiError(409, "Container " + rec->id + " is not running");
  if (st.paused)
    throw ApiError(409, "Container " + rec->id + " is paused, unpause the container before exec");
  x->id = random_hex64();
  std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
  // Finished instances are forgotten after a while, as docker's daemon does.
  auto& all = ctx.sessions->execs.by_id;
  if (all.size() > 256)
    for (auto it = all.begin(); it != all.end();)
      it = it->second->exit_code ? all.erase(it) : std::next(it);
  all[x->id] = x;
  return json_response(201, json{{"Id", x->id}});
}

Response exec_start(Context& ctx, const Target&, const std::string& id, const std::string& body,
                    bool upgrade) {
  auto x = find_exec(ctx, id);
  json j = parse_body(body);
  bool detach = flag(j, "Detach");
  container::Store store(ctx.paths, ctx.mapping);
  auto rec = store.find(x->container);
  if (!rec) throw ApiError(404, "No such container: " + x->container);
  {
    std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
    if (x->started) throw ApiError(409, "Exec " + id + " has already been started");
    x->started = true;
  }
  if (detach) {
    container::ExecOptions o = x->opts;
    o.detach = true;
    o.interactive = false;
    runtime::Started s = container::exec_begin(store, *rec, o);
    std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
    x->running = true;  // tug keeps no watch on a detached command (docs/api.md)
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    return r;
  }
  Response r;
  r.status = upgrade ? 101 : 200;
  r.content_type = x->opts.tty ? kRawStream : kMultiplexedStream;
  r.stream = [paths = ctx.paths, mapping = ctx.mapping, sessions = ctx.sessions, x, rec = *rec](
                 UniqueFd sock, std::string early) {
    container::Store s(paths, mapping);
    runtime::Started started;
    try {
      started = container::exec_begin(s, rec, x->opts);
    } catch (const Error& e) {
      // The head is out: the client reads this as the command's output.
      std::string msg = std::string(e.what()) + "\n";
      send_output(sock.get(), x->opts.tty, 2, msg.data(), msg.size());
      std::lock_guard<std::mutex> lk(sessions->execs.mu);
      x->exit_code = e.exit_code();
      return;
    }
    {
      std::lock_guard<std::mutex> lk(sessions->execs.mu);
      x->running = true;
      x->pid = started.process.pid();
      if (started.terminal) {
        x->terminal.reset(::dup(started.terminal.get()));
        if (x->pending_size) {
          struct winsize ws = {};
          ws.ws_row = x->pending_size->first;
          ws.ws_col = x->pending_size->second;
          ::ioctl(x->terminal.get(), TIOCSWINSZ, &ws);
        }
      }
    }
    relay(sock.get(), started, *x, std::move(early));
    started.in.reset();
    started.out.reset();
    started.err.reset();
    started.terminal.reset();
    int code = exit_code_of(started.process.wait());
    container::exec_ended(s, rec, code);
    std::lock_guard<std::mutex> lk(sessions->execs.mu);
    x->running = false;
    x->exit_code = code;
    x->terminal.reset();
  };
  return r;
}

Response exec_inspect(Context& ctx, const Target&, const std::string& id) {
  auto x = find_exec(ctx, id);
  std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
  json cmd = x->opts.command;
  return json_response(
      200, json{{"ID", x->id},
                {"ContainerID", x->container},
                {"Running", x->running},
                {"ExitCode", x->exit_code ? json(*x->exit_code) : json(nullptr)},
                {"Pid", x->pid},
                {"OpenStdin", x->attach_in},
                {"OpenStdout", x->attach_out},
                {"OpenStderr", x->attach_err},
                {"CanRemove", false},
                {"DetachKeys", ""},
                {"ProcessConfig",
                 {{"tty", x->opts.tty},
                  {"entrypoint", x->opts.command.front()},
                  {"arguments",
                   std::vector<std::string>(x->opts.command.begin() + 1, x->opts.command.end())},
                  {"privileged", x->opts.privileged},
                  {"user", x->opts.user.value_or("")}}}});
}

Response exec_resize(Context& ctx, const Target& t, const std::string& id) {
  auto x = find_exec(ctx, id);
  auto dim = [&](const char* key) {
    auto it = t.query.find(key);
    if (it == t.query.end() || it->second.empty() ||
        it->second.find_first_not_of("0123456789") != std::string::npos || it->second.size() > 5)
      throw ApiError(400, std::string("invalid value for ") + key);
    return static_cast<unsigned short>(std::stoul(it->second));
  };
  struct winsize ws = {};
  ws.ws_row = dim("h");
  ws.ws_col = dim("w");
  std::lock_guard<std::mutex> lk(ctx.sessions->execs.mu);
  if (!x->started || x->exit_code) throw ApiError(409, "Exec " + id + " is not running");
  if (x->terminal)
    ::ioctl(x->terminal.get(), TIOCSWINSZ, &ws);
  else
    x->pending_size = std::make_pair(ws.ws_row, ws.ws_col);
  Response r;
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace tug::api
