// tug logs: print a container's output from its log: a k8s-file or a
// json-file log (with the files rotation left beside it), or the journal.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <deque>

#include "cli/commands.hpp"
#include "container/container.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::cli {

bool parse_log_record(const std::string& line, LogRecord* r) {
  if (!line.empty() && line[0] == '{') {
    // docker's json-file: {"log":"TEXT\n","stream":"stdout","time":"..."};
    // a log without its "\n" is a partial line.
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("log")) return false;
    r->text = j.value("log", "");
    r->full = !r->text.empty() && r->text.back() == '\n';
    if (r->full) r->text.pop_back();
    r->err = j.value("stream", "") == "stderr";
    r->time = j.value("time", "");
    return true;
  }
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

// --since/--until: RFC 3339, a unix time, or a duration ago ("10m", "2h",
// "30s"); empty: no bound (none_value).
int64_t parse_time_flag(const std::string& s, const char* flag, int64_t none_value) {
  if (s.empty()) return none_value;
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
  throw Error(Errc::usage, std::string("invalid ") + flag + " value " + quote(s) +
                               ": use an RFC 3339 time, a unix time or a duration like 10m");
}

// The log's files, oldest first: rotated ones (PATH.N .. PATH.1), then PATH.
std::string read_rotated(const std::string& path) {
  std::string text;
  std::vector<std::string> older;
  for (int i = 1; i < 1000000; ++i) {
    std::string p = path + "." + std::to_string(i);
    if (!path_exists(p)) break;
    older.push_back(p);
  }
  for (auto it = older.rbegin(); it != older.rend(); ++it) {
    std::string part = read_file_if_exists(*it).value_or("");
    if (!part.empty() && part.back() != '\n') part += '\n';
    text += part;
  }
  return text;
}

// journald: the entries of this container, as the journal gives them.
std::string read_journal(const container::Record& rec) {
  if (find_in_path("journalctl").empty())
    throw Error(Errc::unsupported,
                "container " + rec.name + " logs to the journal, and journalctl is not installed");
  CommandResult r =
      run_command({"journalctl", "--no-pager", "-o", "json", "CONTAINER_ID_FULL=" + rec.id});
  if (r.status != 0) throw Error(Errc::generic, "journalctl failed: " + r.err);
  std::string text;
  for (const auto& line : split(r.out, '\n')) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    std::string msg;
    if (j["MESSAGE"].is_string()) {
      msg = j["MESSAGE"].get<std::string>();
    } else if (j["MESSAGE"].is_array()) {
      for (const auto& b : j["MESSAGE"]) msg += static_cast<char>(b.get<int>());
    }
    int64_t us = std::stoll(j.value("__REALTIME_TIMESTAMP", "0"));
    time_t secs = static_cast<time_t>(us / 1000000);
    struct tm tm;
    ::gmtime_r(&secs, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(us % 1000000));
    text += std::string(ts) + (j.value("PRIORITY", "6") == "3" ? " stderr F " : " stdout F ") +
            msg + "\n";
  }
  return text;
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
    int64_t since = parse_time_flag(f->since, "--since", INT64_MIN);
    int64_t until = parse_time_flag(f->until, "--until", INT64_MAX);
    long tail = -1;
    if (f->tail != "all") {
      try {
        tail = std::stol(f->tail);
      } catch (...) {
        throw Error(Errc::usage, "invalid --tail value " + quote(f->tail));
      }
    }
    const std::string& driver = rec.spec.log_driver;
    if (driver == "none" || driver == "passthrough")
      throw Error(Errc::unsupported,
                  "configured logging driver does not support reading: container " + rec.name +
                      " uses the " + driver + " log driver",
                  "use --log-driver k8s-file or json-file to keep its output");
    bool journald = driver == "journald";
    std::string path = container::log_path(store.dir(rec.id), rec);
    std::string older = journald ? "" : read_rotated(path);
    std::string text =
        older + (journald ? read_journal(rec) : read_file_if_exists(path).value_or(""));
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
      if (!parse_log_record(line, &r)) continue;
      int64_t t = parse_rfc3339(r.time);
      if (t < since || t > until) continue;
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
    // From here on, offset is within the live file (or the journal's text).
    offset -= std::min(offset, older.size());
    for (;;) {
      bool running = store.state(rec.id).status == "running";
      std::string now = journald ? read_journal(rec) : read_file_if_exists(path).value_or("");
      // Rotated (or emptied at max-size) since the last look: the new file
      // is all new.
      if (now.size() < offset) offset = 0;
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
