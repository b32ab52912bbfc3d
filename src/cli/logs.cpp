// tug logs: print a container's output from its k8s-file log.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <deque>

#include "cli/commands.hpp"
#include "container/container.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cli {

bool parse_log_record(const std::string& line, LogRecord* r) {
  auto a = line.find(' ');
  if (a == std::string::npos) return false;
  auto b = line.find(' ', a + 1);
  if (b == std::string::npos || b + 2 > line.size()) return false;
  r->time = line.substr(0, a);
  r->err = line.compare(a + 1, b - a - 1, "stderr") == 0;
  r->full = line[b + 1] != 'P';
  r->text = b + 3 <= line.size() ? line.substr(b + 3) : "";
  return true;
}

namespace {

// --since: RFC 3339, a unix time, or a duration ago ("10m", "2h", "30s").
int64_t parse_since(const std::string& s) {
  if (s.empty()) return INT64_MIN;
  int64_t t = parse_rfc3339(s);
  if (t >= 0) return t;
  char unit = s.back();
  std::string num = s.substr(0, s.size() - 1);
  if (!num.empty() && num.find_first_not_of("0123456789") == std::string::npos) {
    int64_t n = std::stoll(num);
    int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
    if (mult) return std::time(nullptr) - n * mult;
  }
  if (s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
  throw Error(Errc::usage, "invalid --since value " + quote(s) +
                               ": use an RFC 3339 time, a unix time or a duration like 10m");
}

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
    std::string tail = "all", since;
    std::string name;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "logs", "Fetch the logs of a container");
  c->add_flag("-f,--follow", f->follow, "Follow log output");
  c->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  c->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs");
  c->add_option("--since", f->since, "Show logs since a timestamp or relative time (e.g. 10m)");
  c->add_option("CONTAINER", f->name, "Container")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record rec = store.get(f->name);
    int64_t since = parse_since(f->since);
    long tail = -1;
    if (f->tail != "all") {
      try {
        tail = std::stol(f->tail);
      } catch (...) {
        throw Error(Errc::usage, "invalid --tail value " + quote(f->tail));
      }
    }
    std::string path = store.dir(rec.id) + "/ctr.log";
    std::string text = read_file_if_exists(path).value_or("");
    size_t offset = text.size();
    // Whole lines only: a record being appended right now waits for -f.
    if (auto nl = text.rfind('\n'); nl != std::string::npos)
      offset = nl + 1;
    else
      offset = 0;
    std::deque<LogRecord> kept;
    size_t lines = 0;
    for (const auto& line : split(text.substr(0, offset), '\n')) {
      LogRecord r;
      if (!parse_log_record(line, &r) || parse_rfc3339(r.time) < since) continue;
      kept.push_back(r);
      if (r.full) ++lines;
      // --tail counts lines, so partial records travel with their line.
      while (tail >= 0 && lines > static_cast<size_t>(tail) && !kept.empty()) {
        if (kept.front().full) --lines;
        kept.pop_front();
      }
    }
    bool at_line_start = true;
    for (const auto& r : kept) emit(r, f->timestamps, at_line_start);
    if (!f->follow) return;
    std::string pending;
    for (;;) {
      bool running = store.state(rec.id).status == "running";
      std::string now = read_file_if_exists(path).value_or("");
      if (now.size() > offset) {
        pending += now.substr(offset);
        offset = now.size();
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          LogRecord r;
          if (parse_log_record(pending.substr(0, nl), &r)) emit(r, f->timestamps, at_line_start);
          pending.erase(0, nl + 1);
        }
      }
      // The state is read before the file, so output written just before
      // the exit was recorded is still printed.
      if (!running) return;
      ::usleep(50000);
    }
  });
}

}  // namespace tug::cli
