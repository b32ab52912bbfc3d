#include "events/events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::events {

namespace {

int64_t now_nano() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t max_size() {
  if (const char* v = std::getenv("TUG_EVENTS_MAX_SIZE"); v && *v) {
    long long n = std::atoll(v);
    if (n > 0) return n;
  }
  return kMaxLogSize;
}

// Renames a full log aside, once: of several writers noticing at once,
// the first renames and the others see a fresh file under the lock.
void rotate(const std::string& path, int fd) {
  FileLock lock(path.substr(0, path.size() - 4) + ".lock");
  struct stat ours, cur;
  if (::fstat(fd, &ours) != 0 || ::stat(path.c_str(), &cur) != 0) return;
  if (ours.st_ino != cur.st_ino || ours.st_dev != cur.st_dev) return;  // rotated already
  ::rename(path.c_str(), (path + ".1").c_str());
}

// podman's action names, accepted by filters for docker's.
std::string canonical_action(const std::string& a) {
  if (a == "died") return "die";
  if (a == "remove" || a == "rm") return "destroy";
  return a;
}

}  // namespace

std::string log_path(const Paths& paths) {
  return paths.run + "/events.log";
}

std::string to_line(const Event& e) {
  json j{{"time_nano", e.time_nano},
         {"type", e.type},
         {"action", e.action},
         {"id", e.id},
         {"attributes", e.attributes}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<Event> parse_line(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Event e;
  e.time_nano = j.value("time_nano", int64_t{0});
  e.type = json_str(j, "type");
  e.action = json_str(j, "action");
  e.id = json_str(j, "id");
  if (auto it = j.find("attributes"); it != j.end() && it->is_object())
    for (auto a = it->begin(); a != it->end(); ++a)
      if (a->is_string()) e.attributes[a.key()] = a->get<std::string>();
  if (e.type.empty() || e.action.empty()) return std::nullopt;
  return e;
}

void emit(const Paths& paths, Event e) {
  // The global --events-backend=none (podman's) sets it.
  if (const char* b = std::getenv("TUG_EVENTS_BACKEND"); b && std::string(b) == "none") return;
  if (e.time_nano == 0) e.time_nano = now_nano();
  std::string line = to_line(e);
  std::string path = log_path(paths);
  try {
    for (int attempt = 0; attempt < 2; ++attempt) {
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
      if (!fd) throw_errno("opening " + path);
      struct stat st;
      if (attempt == 0 && ::fstat(fd.get(), &st) == 0 &&
          st.st_size + static_cast<int64_t>(line.size()) > max_size()) {
        rotate(path, fd.get());
        continue;
      }
      // One write: O_APPEND makes it atomic with respect to other writers.
      if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        throw_errno("writing " + path);
      return;
    }
  } catch (const std::exception& ex) {
    log_warn_once("events", std::string("cannot log the event: ") + ex.what());
  }
}

void emit(const Paths& paths, const std::string& type, const std::string& action,
          const std::string& id, std::map<std::string, std::string> attributes) {
  emit(paths, Event{0, type, action, id, std::move(attributes)});
}

json to_docker_json(const Event& e) {
  json j = json::object();
  // docker fills these older fields for container and image events only.
  if (e.type == "container" || e.type == "image") {
    j["status"] = e.action;
    j["id"] = e.id;
  }
  if (e.type == "container")
    if (auto it = e.attributes.find("image"); it != e.attributes.end()) j["from"] = it->second;
  j["Type"] = e.type;
  j["Action"] = e.action;
  j["Actor"] = json{{"ID", e.id}, {"Attributes", e.attributes}};
  j["scope"] = "local";
  j["time"] = e.time_nano / 1000000000;
  j["timeNano"] = e.time_nano;
  return j;
}

json to_template_json(const Event& e) {
  json j = to_docker_json(e);
  auto attr = [&](const char* k) {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  // Every event has every key, as Go's structs have every field: a
  // template naming a field no event has is an error (render's strict
  // keys), one that some events lack is empty.
  if (!j.contains("status")) j["Status"] = e.action;
  if (!j.contains("id")) j["ID"] = e.id;
  if (!j.contains("from")) j["From"] = "";
  j["Name"] = attr("name");
  j["Image"] = e.type == "container" ? attr("image") : std::string();
  return j;
}

std::string to_text(const Event& e) {
  time_t secs = static_cast<time_t>(e.time_nano / 1000000000);
  struct tm tm;
  ::localtime_r(&secs, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  char zone[40];
  long off = tm.tm_gmtoff;
  if (off == 0) {
    std::strcpy(zone, "Z");
  } else {
    std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600,
                  std::labs(off) / 60 % 60);
  }
  char nanos[16];
  std::snprintf(nanos, sizeof nanos, ".%09lld", static_cast<long long>(e.time_nano % 1000000000));
  std::string out = std::string(stamp) + nanos + zone + " " + e.type + " " + e.action + " " + e.id;
  if (!e.attributes.empty()) {
    std::vector<std::string> kv;
    for (const auto& [k, v] : e.attributes) kv.push_back(k + "=" + v);
    out += " (" + join(kv, ", ") + ")";
  }
  return out;
}

Filter::Filter(const std::vector<std::string>& flags) {
  static const char* kKeys[] = {"type", "event", "container", "image", "volume", "pod", "label"};
  for (const auto& f : flags) {
    bool has_eq = false;
    auto [key, value] = split_once(f, '=', &has_eq);
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!has_eq || value.empty())
      throw Error(Errc::usage, "invalid filter " + quote(f),
                  "use type=, event=, container=, image=, volume=, pod=, label=KEY[=VALUE]");
    // docker 20.10 accepts a key it does not know and filters nothing with
    // it (podman 4.3 refuses it); a warning at least names the typo.
    if (!known) {
      log_warn("events: filter " + quote(f) + " is not known: ignored");
      continue;
    }
    by_key_[key].push_back(value);
  }
}

bool Filter::matches(const Event& e) const {
  auto attr = [&](const char* k) {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  for (const auto& [key, values] : by_key_) {
    bool any = false;
    for (const auto& v : values) {
      if (key == "type") {
        any = e.type == v;
      } else if (key == "event") {
        // "health_status" matches docker's "health_status: healthy";
        // podman's died and remove name a container's die and destroy (a
        // pod's remove is its own).
        any = e.action == v || starts_with(e.action, v + ":") ||
              (e.type == "container" && e.action == canonical_action(v));
      } else if (key == "container" || key == "volume" || key == "pod") {
        any = e.type == key && ((!v.empty() && starts_with(e.id, v)) || attr("name") == v);
      } else if (key == "image") {
        std::string img = e.type == "image" ? attr("name") : attr("image");
        // Image events name images as typed ("mine:1"): a fully qualified
        // docker.io filter is compared in that form too.
        std::string short_v = v;
        if (starts_with(short_v, "docker.io/library/") &&
            short_v.find('/', 18) == std::string::npos)
          short_v = short_v.substr(18);
        else if (starts_with(short_v, "docker.io/"))
          short_v = short_v.substr(10);
        // A locally made image is localhost/mine:1: "mine" selects it too.
        std::string repo = img;
        if (size_t c = repo.rfind(':');
            c != std::string::npos && repo.find('/', c) == std::string::npos)
          repo = repo.substr(0, c);
        any = img == v || img == short_v || (e.type == "image" && starts_with(e.id, v)) ||
              (v.find(':') == std::string::npos && ends_with(repo, "/" + v)) ||
              starts_with(img, v + ":") || starts_with(img, short_v + ":") ||
              (img.find('/') != std::string::npos && ends_with(img, "/" + v)) ||
              ends_with(img, "/" + v + ":latest") || ends_with(img, "/library/" + v + ":latest");
      } else if (key == "label") {
        bool has_eq = false;
        auto [k, val] = split_once(v, '=', &has_eq);
        auto it = e.attributes.find(k);
        any = it != e.attributes.end() && (!has_eq || it->second == val);
      }
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

int64_t parse_time(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) throw Error(Errc::usage, "empty time value");
  bool numeric = t.find_first_not_of("0123456789.") == std::string::npos;
  if (numeric) {
    // Unix seconds, maybe with a fraction: docker's "1700000000.5".
    auto [s, frac] = split_once(t, '.');
    int64_t ns = std::atoll(s.c_str()) * 1000000000;
    if (!frac.empty()) {
      frac.resize(9, '0');
      ns += std::atoll(frac.substr(0, 9).c_str());
    }
    return ns;
  }
  int64_t secs = parse_rfc3339(t);
  if (secs < 0 && t.size() == 10) secs = parse_rfc3339(t + "T00:00:00Z");
  if (secs >= 0) {
    int64_t ns = secs * 1000000000;
    if (auto dot = t.find('.'); dot != std::string::npos && dot > 18) {
      std::string frac;
      for (size_t i = dot + 1; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i)
        frac += t[i];
      frac.resize(9, '0');
      ns += std::atoll(frac.c_str());
    }
    return ns;
  }
  try {
    return now_nano() - parse_go_duration(t);
  } catch (const Error&) {
    throw Error(Errc::usage, "invalid time " + quote(text),
                "use a Unix timestamp, an RFC 3339 time or a duration such as 10m");
  }
}

namespace {

// Reads the complete lines that follow *offset in fd; a partial last line
// (a writer mid-way: impossible with one write, but a truncated file) waits.
bool drain(int fd, off_t* offset, std::string& pending, int64_t since, int64_t until,
           const std::function<bool(const Event&)>& fn) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, *offset);
    if (n <= 0) return true;
    *offset += n;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      auto e = parse_line(pending.substr(start, nl - start));
      if (!e || e->time_nano < since) continue;
      if (until > 0 && e->time_nano >= until) continue;
      if (!fn(*e)) return false;
    }
    pending.erase(0, start);
  }
}

}  // namespace

void read(const Paths& paths, int64_t since, int64_t until, bool follow,
          const std::function<bool(const Event&)>& fn) {
  std::string path = log_path(paths);
  std::string pending;
  {
    UniqueFd old(::open((path + ".1").c_str(), O_RDONLY | O_CLOEXEC));
    off_t off = 0;
    if (old && !drain(old.get(), &off, pending, since, until, fn)) return;
    pending.clear();
  }
  // Watch the directory before opening the file: a line or a rotation that
  // comes between the two is then seen.
  UniqueFd ino;
  if (follow) {
    ino.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ino) throw_errno("inotify_init1");
    if (::inotify_add_watch(ino.get(), paths.run.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
      throw_errno("watching " + paths.run);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  off_t off = 0;
  if (fd && !drain(fd.get(), &off, pending, since, until, fn)) return;
  if (!follow) return;
  for (;;) {
    int timeout = -1;
    if (until > 0) {
      int64_t left = (until - now_nano()) / 1000000;
      if (left <= 0) return;
      timeout = static_cast<int>(std::min<int64_t>(left + 1, 1 << 30));
    }
    struct pollfd p = {ino.get(), POLLIN, 0};
    int r = ::poll(&p, 1, timeout);
    if (r < 0 && errno != EINTR) throw_errno("poll");
    if (r <= 0) continue;
    char evbuf[4096];
    while (::read(ino.get(), evbuf, sizeof evbuf) > 0) {
    }
    // A rotation: finish the old file, then start the new one from 0.
    struct stat cur, ours;
    bool rotated = ::stat(path.c_str(), &cur) == 0 &&
                   (!fd || (::fstat(fd.get(), &ours) == 0 && ours.st_ino != cur.st_ino));
    if (fd && !drain(fd.get(), &off, pending, since, until, fn)) return;
    if (rotated) {
      fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      off = 0;
      pending.clear();
      if (fd && !drain(fd.get(), &off, pending, since, until, fn)) return;
    }
  }
}

}  // namespace tug::events
