// tug logs: print a container's output from its log (container/logs.hpp
// reads it).

#include "container/logs.hpp"

#include <cstdio>

#include "cli/commands.hpp"
#include "container/container.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

void emit(const LogRecord& r, bool timestamps, bool& at_line_start) {
  std::string out;
  if (timestamps && at_line_start) out = r.time + " ";
  out += r.text;
  if (r.full) out += "\n";
  at_line_start = r.full;
  std::FILE* f = r.err ? stderr : stdout;
  std::fwrite(out.data(), 1, out.size(), f);
  std::fflush(f);
}

}  // namespace

void register_logs(CLI::App& app, Globals& g) {
  struct Flags {
    bool follow = false, timestamps = false;
    std::string tail = "all", since, until;
    std::string name;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "logs", "Fetch the logs of a container");
  c->add_flag("-f,--follow", f->follow, "Follow log output");
  c->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  c->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs");
  c->add_option("--since", f->since, "Show logs since a timestamp or relative time (e.g. 10m)");
  c->add_option("--until", f->until, "Show logs before a timestamp or relative time (e.g. 10m)");
  c->add_option("CONTAINER", f->name, "Container")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record rec = store.get(f->name);
    container::LogQuery q;
    q.since = container::parse_log_time(f->since, "--since", INT64_MIN);
    q.until = container::parse_log_time(f->until, "--until", INT64_MAX);
    if (f->tail != "all") {
      try {
        q.tail = std::stol(f->tail);
      } catch (...) {
        throw Error(Errc::usage, "invalid --tail value " + quote(f->tail));
      }
    }
    q.follow = f->follow;
    bool at_line_start = true;
    container::read_logs(store, rec, q, [&](const LogRecord& r) {
      emit(r, f->timestamps, at_line_start);
      return true;
    });
  });
}

}  // namespace tug::cli
