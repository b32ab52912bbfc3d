// POST /containers/{id}/start|stop|kill|wait, DELETE /containers/{id}:
// the same operations (container/lifecycle.hpp) as tug start, stop, kill,
// wait and rm, with docker's statuses (204 done, 304 nothing to do, 409
// not running / running).
#include "container/lifecycle.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "api/handlers.hpp"
#include "container/frontend.hpp"
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
  try {
    container::start(store, ctx.images, rec, container::start_options(ctx.paths, rec, false));
  } catch (const Error& e) {
    // Another start won the race: it runs, which is what was asked.
    if (e.code() == Errc::in_use && running(store, rec)) return no_content(304);
    throw;
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
// before its start); removed also waits for the record to go.
Response container_wait(Context& ctx, const Target& t, const std::string& id) {
  container::Store store(ctx.paths, ctx.mapping);
  container::Record rec = get_container(store, id);
  std::string condition = "not-running";
  if (auto it = t.query.find("condition"); it != t.query.end() && !it->second.empty())
    condition = it->second;
  if (condition != "not-running" && condition != "next-exit" && condition != "removed")
    throw ApiError(400, "invalid condition: " + quote(condition));
  std::string started = store.state(rec.id).started_at;
  Response r;
  r.deferred = [paths = ctx.paths, mapping = ctx.mapping, rec, condition, started] {
    return guarded([&] {
      container::Store s(paths, mapping);
      using namespace std::chrono_literals;
      if (condition == "next-exit")
        for (;;) {
          container::State st = s.state(rec.id);
          if (st.status == "running" || st.started_at != started) break;
          if (!s.find(rec.id)) throw ApiError(404, "No such container: " + rec.id);
          std::this_thread::sleep_for(100ms);
        }
      int code = container::wait_exit(s, rec);
      if (condition == "removed")
        while (s.find(rec.id)) std::this_thread::sleep_for(100ms);
      return json_response(200, json{{"StatusCode", code}, {"Error", nullptr}});
    });
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
