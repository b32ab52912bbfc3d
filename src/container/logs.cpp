#include "container/logs.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <deque>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

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

int64_t parse_log_time(const std::string& s, const char* flag, int64_t none_value) {
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
  // docker's clients send unix times with nanoseconds: "1700000000.000000000".
  std::string whole = s.substr(0, s.find('.'));
  std::string frac = s.find('.') == std::string::npos ? "" : s.substr(s.find('.') + 1);
  if (!whole.empty() && whole.size() < 19 &&
      whole.find_first_not_of("0123456789") == std::string::npos &&
      frac.find_first_not_of("0123456789") == std::string::npos)
    return std::stoll(whole);
  throw Error(Errc::usage, std::string("invalid ") + flag + " value " + quote(s) +
                               ": use an RFC 3339 time, a unix time or a duration like 10m");
}

namespace {

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
std::string read_journal(const Record& rec) {
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

}  // namespace

void read_logs(const Store& store, const Record& rec, const LogQuery& q,
               const std::function<bool(const LogRecord&)>& emit,
               const std::function<bool()>& alive) {
  const std::string& driver = rec.spec.log_driver;
  if (driver == "none" || driver == "passthrough")
    throw Error(Errc::unsupported,
                "configured logging driver does not support reading: container " + rec.name +
                    " uses the " + driver + " log driver",
                "use --log-driver k8s-file or json-file to keep its output");
  bool journald = driver == "journald";
  std::string path = log_path(store.dir(rec.id), rec);
  std::string older = journald ? "" : read_rotated(path);
  std::string text =
      older + (journald ? read_journal(rec) : read_file_if_exists(path).value_or(""));
  // Whole lines only: a record being appended right now waits for follow.
  size_t offset = 0;
  if (auto nl = text.rfind('\n'); nl != std::string::npos) offset = nl + 1;
  std::deque<LogRecord> kept;
  size_t lines = 0;
  for (const auto& line : split(text.substr(0, offset), '\n')) {
    LogRecord r;
    if (!parse_log_record(line, &r)) continue;
    int64_t t = parse_rfc3339(r.time);
    if (t < q.since || t > q.until) continue;
    kept.push_back(r);
    if (r.full) ++lines;
    // tail counts lines, so partial records travel with their line.
    while (q.tail >= 0 && lines > static_cast<size_t>(q.tail) && !kept.empty()) {
      if (kept.front().full) --lines;
      kept.pop_front();
    }
  }
  for (const auto& r : kept)
    if (!emit(r)) return;
  if (!q.follow) return;
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
        bool ok = parse_log_record(pending.substr(0, nl), &r);
        pending.erase(0, nl + 1);
        if (ok && parse_rfc3339(r.time) <= q.until && !emit(r)) return;
      }
    }
    // The state is read before the file, so output written just before
    // the exit was recorded is still emitted.
    if (!running) return;
    if (alive && !alive()) return;
    ::usleep(50000);
  }
}

}  // namespace tug::container
