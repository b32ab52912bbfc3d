// POST /containers/{id}/start|stop|kill|wait, DELETE /containers/{id}:
// the same operations (container/lifecycle.hpp) as tug start, stop, kill,
// wait and rm, with docker's statuses (204 done, 304 nothing to do, 409
// not running / running).
#include "container/lifecycle.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <thread>

#include "api/handlers.hpp"
#include "api/sessions.hpp"
#include "api/streams.hpp"
#include "container/frontend.hpp"
#include "events/events.hpp"
#include "runtime/spec.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::api {

namespace {

container::Record get_container(const container::Store& store, const std::string& id) {
  auto r = store.find(id);
  if (!r) throw ApiError(404, "No such container: " + id);
  return *r;
}

Response no_content(int status = 204) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

bool running(const container::Store& store, const container::Record& r) {
  return store.state(r.id).status == "running";
}

}  // namespace

Response container_start(Context& ctx, const Target&, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  if (running(store, rec)) return no_content(304);
  // An attach waits for this start (docker's run and start -a attach
  // first): the container starts with a client of its monitor connected,
  // which the attach takes (api/attach.cpp). The monitor removes an
  // AutoRemove container all the same: no front end waits to do it.
  AttachWaits& waits = ctx.sessions->attach;
  bool attach = false;
  {
    std::lock_guard<std::mutex> lk(waits.mu);
    if (waits.waiting.count(rec.id)) attach = waits.starting[rec.id] = true;
  }
  ScopeExit done([&] {
    std::lock_guard<std::mutex> lk(waits.mu);
    waits.starting.erase(rec.id);
  });
  container::StartOptions so = container::start_options(ctx.paths, rec, false);
  so.attach = attach;
  container::Running started;
  try {
    started = container::start(store, ctx.images, rec, so);
  } catch (const Error& e) {
    // Another start won the race: it runs, which is what was asked.
    if (e.code() == Errc::in_use && running(store, rec)) return no_content(304);
    throw;
  }
  if (started.attach) {
    std::lock_guard<std::mutex> lk(waits.mu);
    if (waits.waiting.count(rec.id)) waits.handed[rec.id].push_back(std::move(started.attach));
  }
  return no_content();
}

Response container_stop(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  if (!running(store, rec)) return no_content(304);
  int timeout = -1;
  if (auto it = t.query.find("t"); it != t.query.end() && !it->second.empty()) {
    if (it->second.find_first_not_of("-0123456789") != std::string::npos || it->second.size() > 6)
      throw ApiError(400, "invalid value for t: " + quote(it->second));
    timeout = std::atoi(it->second.c_str());
  }
  // The grace period may be long: off the serving thread.
  Response r;
  r.deferred = [paths = ctx.paths, mapping = ctx.mapping, rec, timeout] {
    return guarded([&] {
      container::Store s(paths, mapping);
      container::stop(s, rec, timeout);
      return no_content();
    });
  };
  return r;
}

Response container_kill(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  int sig = SIGKILL;
  if (auto it = t.query.find("signal"); it != t.query.end() && !it->second.empty()) {
    sig = runtime::signal_number(it->second);
    if (sig <= 0) throw ApiError(400, "Invalid signal: " + it->second);
  }
  if (!running(store, rec)) throw ApiError(409, "Container " + rec.id + " is not running");
  container::kill(store, rec, sig);
  return no_content();
}

// condition=not-running (the default) returns at once for a container that
// does not run; next-exit first waits for it to run (docker run asks this
// before its start); removed waits for the record to go, and answers the
// exit code of the run that ended before (an AutoRemove container's: the
// state is read while it exists, else the die event tells).
Response container_wait(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  std::string condition = "not-running";
  if (auto it = t.query.find("condition"); it != t.query.end() && !it->second.empty())
    condition = it->second;
  if (condition != "not-running" && condition != "next-exit" && condition != "removed")
    throw ApiError(400, "invalid condition: " + quote(condition));
  container::State first = store.state(rec.id);
  int64_t asked = static_cast<int64_t>(std::time(nullptr)) * 1000000000LL;
  // docker answers the head at once and the body at the exit: its client
  // waits for the head before it starts the container (docker run).
  Response r;
  r.stream = [paths = ctx.paths, mapping = ctx.mapping, rec, condition, first, asked](UniqueFd sock,
                                                                                      std::string) {
    container::Store s(paths, mapping);
    using namespace std::chrono_literals;
    // The exit of a run after the request: the state says exited, with
    // another start time than it had then unless it ran then (a short run
    // may start and end between two looks).
    std::optional<int> code;
    for (;;) {
      if (!s.find(rec.id)) break;
      container::State st = s.state(rec.id);
      bool ended = condition == "not-running"
                       ? st.status != "running"
                       : st.status != "running" && st.status != "created" &&
                             (st.started_at != first.started_at || first.status == "running");
      if (ended) code = st.exit_code;
      if (code && condition != "removed") break;
      if (client_gone(sock.get(), false)) return;
      std::this_thread::sleep_for(20ms);
    }
    if (!code && condition != "removed") {
      std::string body =
          json{{"StatusCode", -1}, {"Error", {{"Message", "No such container: " + rec.id}}}}
              .dump() +
          "\n";
      send_all(sock.get(), body.data(), body.size());
      return;
    }
    if (!code) {
      code = 0;
      events::read(paths, asked, 0, false, [&](const events::Event& e) {
        if (e.id == rec.id && e.action == "die" && e.attributes.count("exitCode"))
          code = std::atoi(e.attributes.at("exitCode").c_str());
        return true;
      });
    }
    std::string body = json{{"StatusCode", *code}, {"Error", nullptr}}.dump() + "\n";
    send_all(sock.get(), body.data(), body.size());
  };
  return r;
}

Response container_delete(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  bool force = query_bool(t, "force");
  if (!force && running(store, rec))
    throw ApiError(409, "You cannot remove a running container " + rec.id +
                            ". Stop the container before attempting removal or force remove");
  container::remove(store, rec, force);
  // v=1 takes the container's anonymous volumes with it; named ones stay.
  if (query_bool(t, "v")) container::remove_anonymous_volumes(store, rec);
  return no_content();
}

}  // namespace tug::api
