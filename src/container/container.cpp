#include "container/container.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "runtime/executor.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::container {

void to_json(json& j, const Record& r) {
  j = json{{"id", r.id},
           {"name", r.name},
           {"image_id", r.image_id},
           {"image_name", r.image_name},
           {"created", r.created},
           {"driver", r.driver},
           {"layers", r.layers},
           {"squashfs", r.squashfs},
           {"rootfs_dir", r.rootfs_dir},
           {"spec", r.spec},
           {"labels", r.labels},
           {"auto_remove", r.auto_remove},
           {"pod", r.pod},
           {"infra", r.infra},
           {"limits_not_applied", r.limits_not_applied},
           {"create_command", r.create_command},
           {"conmon_pidfile", r.conmon_pidfile}};
  if (!r.healthcheck.is_null()) j["healthcheck"] = r.healthcheck;
  if (r.entrypoint) j["entrypoint"] = *r.entrypoint;
  if (r.build) j["build"] = {{"pid", r.build->pid}, {"start_time", r.build->start_time}};
}

void from_json(const json& j, Record& r) {
  r.id = j.value("id", "");
  r.name = j.value("name", "");
  r.image_id = j.value("image_id", "");
  r.image_name = j.value("image_name", "");
  r.created = j.value("created", "");
  r.driver = j.value("driver", "overlay");
  r.layers = j.value("layers", std::vector<std::string>{});
  r.squashfs = j.value("squashfs", "");
  r.rootfs_dir = j.value("rootfs_dir", "");
  r.spec = j.value("spec", runtime::Spec{});
  r.labels = j.value("labels", std::map<std::string, std::string>{});
  r.auto_remove = j.value("auto_remove", false);
  r.pod = j.value("pod", "");
  r.infra = j.value("infra", false);
  r.limits_not_applied = j.value("limits_not_applied", std::vector<std::string>{});
  r.create_command = j.value("create_command", std::vector<std::string>{});
  r.conmon_pidfile = j.value("conmon_pidfile", "");
  if (auto it = j.find("healthcheck"); it != j.end()) r.healthcheck = *it;
  if (auto it = j.find("entrypoint"); it != j.end() && it->is_array())
    r.entrypoint = it->get<std::vector<std::string>>();
  if (auto it = j.find("build"); it != j.end() && it->is_object())
    r.build = Record::BuildOwner{it->value("pid", 0), it->value("start_time", uint64_t{0})};
}

std::pair<std::vector<std::string>, std::vector<std::string>> entrypoint_and_cmd(
    const Record& r, const std::vector<std::string>& image_entrypoint) {
  const std::vector<std::string>& args = r.spec.args;
  std::vector<std::string> entrypoint = r.entrypoint.value_or(image_entrypoint);
  if (entrypoint.size() > args.size() ||
      !std::equal(entrypoint.begin(), entrypoint.end(), args.begin()))
    entrypoint.clear();
  return {entrypoint,
          std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(entrypoint.size()),
                                   args.end())};
}

void to_json(json& j, const State& s) {
  j = json{{"status", s.status},
           {"pid", s.pid},
           {"pid_start_time", s.pid_start_time},
           {"monitor_pid", s.monitor_pid},
           {"monitor_start_time", s.monitor_start_time},
           {"cgroup", s.cgroup},
           {"paused", s.paused},
           {"restart_count", s.restart_count},
           {"exit_code", s.exit_code},
           {"started_at", s.started_at},
           {"finished_at", s.finished_at},
           {"ports", s.ports}};
}

void from_json(const json& j, State& s) {
  s.status = j.value("status", "created");
  s.pid = j.value("pid", 0);
  s.pid_start_time = j.value("pid_start_time", uint64_t{0});
  s.exit_code = j.value("exit_code", 0);
  s.monitor_pid = j.value("monitor_pid", 0);
  s.monitor_start_time = j.value("monitor_start_time", uint64_t{0});
  s.cgroup = j.value("cgroup", "");
  s.paused = j.value("paused", false);
  s.restart_count = j.value("restart_count", 0);
  s.started_at = j.value("started_at", "");
  s.finished_at = j.value("finished_at", "");
  s.ports = j.value("ports", std::vector<std::string>{});
}

namespace {

const char* const kAdjectives[] = {
    "admiring",  "agitated", "amazing",    "angry",    "awesome",    "blissful", "bold",
    "boring",    "brave",    "busy",       "charming", "clever",     "cool",     "compassionate",
    "confident", "dazzling", "determined", "eager",    "ecstatic",   "elastic",  "elated",
    "elegant",   "epic",     "exciting",   "fervent",  "festive",    "focused",  "friendly",
    "funny",     "gallant",  "gifted",     "goofy",    "gracious",   "happy",    "hopeful",
    "hungry",    "jolly",    "keen",       "kind",     "laughing",   "loving",   "lucid",
    "modest",    "musing",   "nice",       "nifty",    "optimistic", "peaceful", "pensive",
    "quirky",    "relaxed",  "romantic",   "serene",   "sharp",      "sleepy",   "stoic",
    "sweet",     "tender",   "trusting",   "upbeat",   "vibrant",    "wizardly", "zealous"};
const char* const kNames[] = {
    "albattani",   "allen",    "babbage", "bardeen",  "bell",     "bohr",     "borg",
    "brahmagupta", "carson",   "cerf",    "curie",    "darwin",   "dijkstra", "einstein",
    "euclid",      "euler",    "fermat",  "feynman",  "galileo",  "gauss",    "goldberg",
    "hamilton",    "hawking",  "hopper",  "hypatia",  "jennings", "johnson",  "kalam",
    "kepler",      "knuth",    "lamport", "lovelace", "mccarthy", "meitner",  "mirzakhani",
    "morse",       "newton",   "noether", "pascal",   "pike",     "poincare", "ritchie",
    "shannon",     "sinoussi", "tesla",   "thompson", "torvalds", "turing",   "wilson",
    "wozniak",     "wright",   "yalow",   "yonath"};

template <size_t N>
const char* pick(const char* const (&arr)[N]) {
  unsigned int r = 0;
  random_bytes(&r, sizeof r);
  return arr[r % N];
}

}  // namespace

std::string log_path(const std::string& container_dir, const Record& r) {
  if (auto it = r.spec.log_opts.find("path"); it != r.spec.log_opts.end()) return it->second;
  return container_dir + "/ctr.log";
}

std::string random_name() {
  return std::string(pick(kAdjectives)) + "_" + pick(kNames);
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

std::set<std::string> image_ids_in_use(const Paths& paths) {
  std::set<std::string> ids;
  for (const auto& id : list_dir(paths.containers())) {
    auto j = read_json_if_exists(paths.containers() + "/" + id + "/config.json");
    if (j) ids.insert(json_str(*j, "image_id"));
  }
  return ids;
}

namespace {

// Reads the values of a JSON document by their path ("spec", "args", "[]")
// without building a DOM. Listings read a thousand records: building and
// converting each whole record, and even nlohmann's SAX lexer (which copies
// every character for its diagnostics), were most of `ps -a`'s time.
class PathReader {
 public:
  virtual ~PathReader() = default;
  // Called for each string, number and boolean with its path and its text
  // (numbers and booleans as written); the handler may move the text away.
  virtual void value(const std::vector<std::string>& path, std::string& text) = 0;

  // Parses text; Error(invalid) naming what on malformed input.
  void parse(const std::string& text, const std::string& what) {
    begin_ = p_ = text.data();
    end_ = begin_ + text.size();
    what_ = &what;
    ws();
    parse_value(0);
    ws();
    if (p_ != end_) fail("trailing characters");
  }

 private:
  [[noreturn]] void fail(const char* why) {
    throw Error(Errc::invalid,
                "parsing " + *what_ + ": " + why + " at byte " + std::to_string(p_ - begin_));
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }
  bool take(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void literal(const char* word) {
    for (const char* w = word; *w; ++w)
      if (!take(*w)) fail("invalid literal");
  }

  void parse_value(int depth) {
    if (depth > 64) fail("nested too deeply");
    if (p_ >= end_) fail("unexpected end");
    char c = *p_;
    if (c == '{' || c == '[') {
      bool object = c == '{';
      ++p_;
      path_.emplace_back(object ? "" : "[]");
      ws();
      if (!take(object ? '}' : ']')) {
        for (;;) {
          ws();
          if (object) {
            if (p_ >= end_ || *p_ != '"') fail("expected a key");
            read_string(path_.back());
            ws();
            if (!take(':')) fail("expected ':'");
            ws();
          }
          parse_value(depth + 1);
          ws();
          if (take(',')) continue;
          if (!take(object ? '}' : ']'))
            fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
          break;
        }
      }
      path_.pop_back();
    } else if (c == '"') {
      read_string(buf_);
      value(path_, buf_);
    } else if (c == 't' || c == 'f') {
      literal(c == 't' ? "true" : "false");
      buf_ = c == 't' ? "true" : "false";
      value(path_, buf_);
    } else if (c == 'n') {
      literal("null");
    } else {
      const char* start = p_;
      while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '-' || *p_ == '+' || *p_ == '.' ||
                           *p_ == 'e' || *p_ == 'E'))
        ++p_;
      if (p_ == start) fail("unexpected character");
      buf_.assign(start, p_);
      value(path_, buf_);
    }
  }

  unsigned hex4() {
    if (end_ - p_ < 4) fail("short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = *p_++;
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<unsigned>(h - 'A' + 10);
      else
        fail("invalid \\u escape");
    }
    return v;
  }

  void read_string(std::string& out) {
    out.clear();
    ++p_;  // the opening quote
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\') ++p_;
      out.append(run, p_);
      if (p_ >= end_) fail("unterminated string");
      if (*p_++ == '"') return;
      if (p_ >= end_) fail("unterminated string");
      char e = *p_++;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
            p_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          fail("invalid escape");
      }
    }
  }

  const char* begin_ = nullptr;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  const std::string* what_ = nullptr;
  std::vector<std::string> path_;
  std::string buf_;
};

// A record a crash or a hand damaged: commands that meet it say so and
// point to the repair (a listing skips it with a warning).
Error damaged_record(const std::string& id, const std::string& why) {
  return Error(Errc::corrupt, "container " + id.substr(0, 12) + " is damaged: " + why,
               "`tug system check --repair` removes it");
}

void warn_damaged(const std::string& id, const std::string& why) {
  log_warn("ignoring damaged container " + id.substr(0, 12) + ": " + why +
           " (`tug system check --repair` removes it)");
}

// A record file's text, nullopt if absent. Records are small: one read
// into a buffer larger than the file is the whole of it (a regular file
// returns short only at its end), saving listings a read per file.
// With dirfd >= 0, path is opened relative to it (a listing of a thousand
// records then walks two path components per file, not the store's depth).
std::optional<std::string> read_record(const std::string& path, int dirfd = -1,
                                       const char* rel = nullptr) {
  int fd = dirfd >= 0 ? ::openat(dirfd, rel, O_RDONLY | O_CLOEXEC)
                      : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open " + path);
  }
  UniqueFd owner(fd);
  char buf[16384];
  std::string out;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path);
    out.append(buf, static_cast<size_t>(n));
    if (n < static_cast<ssize_t>(sizeof buf)) return out;
  }
}

bool is(const std::vector<std::string>& path, std::initializer_list<const char*> want) {
  if (path.size() != want.size()) return false;
  size_t i = 0;
  for (const char* w : want)
    if (path[i++] != w) return false;
  return true;
}

class StateReader : public PathReader {
 public:
  State state;
  void value(const std::vector<std::string>& path, std::string& text) override {
    if (is(path, {"ports", "[]"})) state.ports.push_back(std::move(text));
    if (path.size() != 1) return;
    const std::string& k = path[0];
    auto num = [&] { return std::strtoll(text.c_str(), nullptr, 10); };
    if (k == "status")
      state.status = std::move(text);
    else if (k == "pid")
      state.pid = static_cast<pid_t>(num());
    else if (k == "pid_start_time")
      state.pid_start_time = std::strtoull(text.c_str(), nullptr, 10);
    else if (k == "monitor_pid")
      state.monitor_pid = static_cast<pid_t>(num());
    else if (k == "monitor_start_time")
      state.monitor_start_time = std::strtoull(text.c_str(), nullptr, 10);
    else if (k == "exit_code")
      state.exit_code = static_cast<int>(num());
    else if (k == "restart_count")
      state.restart_count = static_cast<int>(num());
    else if (k == "started_at")
      state.started_at = std::move(text);
    else if (k == "finished_at")
      state.finished_at = std::move(text);
    else if (k == "cgroup")
      state.cgroup = std::move(text);
    else if (k == "paused")
      state.paused = text == "true";
  }
};

class SummaryReader : public PathReader {
 public:
  Summary summary;
  void value(const std::vector<std::string>& path, std::string& text) override {
    if (path.size() == 1) {
      const std::string& k = path[0];
      if (k == "id")
        summary.id = std::move(text);
      else if (k == "name")
        summary.name = std::move(text);
      else if (k == "image_name")
        summary.image_name = std::move(text);
      else if (k == "image_id")
        summary.image_id = std::move(text);
      else if (k == "created")
        summary.created = std::move(text);
      else if (k == "pod")
        summary.pod = std::move(text);
    } else if (path.size() == 2 && path[0] == "labels") {
      summary.labels[path[1]] = std::move(text);
    } else if (path.size() == 2 && path[0] == "build") {
      summary.build = true;
    } else if (is(path, {"spec", "args", "[]"})) {
      summary.args.push_back(std::move(text));
    }
  }
};

}  // namespace

Store::Store(const Paths& paths, const userns::Mapping& mapping)
    : paths_(paths), mapping_(mapping) {}

std::string Store::dir(const std::string& id) const {
  return paths_.containers() + "/" + id;
}

Record Store::create(Record r, const std::function<void(Record&)>& complete) {
  r.id = random_hex64();
  r.created = now_rfc3339();
  bool random = r.name.empty();
  if (!random && !valid_name(r.name))
    throw Error(Errc::usage, "invalid container name " + quote(r.name) +
                                 ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  std::string d = dir(r.id);
  // The directory and its held lock come before the name claim, and the
  // lock is kept until config.json exists: a claim then always points at a
  // directory that is either complete, or locked by its live creator, or
  // abandoned by a killed one (see release_stale_claim).
  make_dirs(d, 0700);
  ensure_reserve();
  std::optional<FileLock> lock;
  bool claimed = false;
  try {
    lock.emplace(d + "/lock");
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (random) r.name = random_name() + (attempt > 3 ? std::to_string(attempt) : "");
      std::string claim = paths_.names() + "/" + r.name;
      if (::symlink(r.id.c_str(), claim.c_str()) == 0) {
        claimed = true;
        break;
      }
      if (errno != EEXIST) throw_errno("claiming name " + r.name);
      if (release_stale_claim(r.name)) continue;
      if (!random) {
        throw Error(Errc::exists,
                    "the container name \"" + r.name + "\" is already in use by " +
                        read_claim(r.name).value_or("?"),
                    "remove that container or use --replace / a different --name");
      }
    }
    if (!claimed) throw Error(Errc::exists, "cannot claim a name for the container " + r.id);
    // The upper dir's own mode becomes the mode of the container's "/":
    // 0755, or users other than root inside could not reach anything. A
    // --rootfs directory is used in place, its own mount point.
    if (r.rootfs_dir.empty())
      for (const char* sub : {"merged", "upper", "work"}) make_dirs(d + "/" + sub, 0755);
    // A --rm container is gone after one run: its records need not survive
    // a power loss, and skipping the fsyncs is most of create's cost. No
    // state.json yet: its absence reads as State{} ("created"), one file
    // fewer to create and replace in every run.
    bool durable = !r.auto_remove;
    if (complete) complete(r);
    // config.json last: a directory without it is an unfinished create.
    write_json_atomic(d + "/config.json", json(r), 0644, durable);
  } catch (...) {
    if (claimed) ::unlink((paths_.names() + "/" + r.name).c_str());
    try {
      remove_tree(d);
    } catch (...) {
    }
    throw;
  }
  return r;
}

std::optional<std::string> Store::read_claim(const std::string& name) const {
  char target[128];
  ssize_t n = ::readlink((paths_.names() + "/" + name).c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(n));
}

bool Store::abandoned(const std::string& id) const {
  std::string d = dir(id);
  if (!path_exists(d)) return true;
  if (path_exists(d + "/config.json")) return false;
  try {
    // A create or remove in progress holds the lock; a killed one left it.
    FileLock lock = FileLock::try_lock(d + "/lock");
    return lock.held() && !path_exists(d + "/config.json");
  } catch (const Error&) {
    return !path_exists(d);  // removed meanwhile
  }
}

bool Store::release_stale_claim(const std::string& name) const {
  // Serialised, and re-read under the lock: two creators that both saw the
  // same stale claim must not both remove "it", the second removing the
  // first one's fresh claim.
  FileLock guard(paths_.data + "/names.lock");
  auto owner = read_claim(name);
  if (!owner) return true;  // released meanwhile: claim again
  if (!abandoned(*owner)) return false;
  ::unlink((paths_.names() + "/" + name).c_str());
  log_debug("released the name " + name + " of the unfinished container " + *owner);
  return true;
}

std::optional<Record> Store::find(const std::string& key) const {
  if (key.empty()) return std::nullopt;
  char target[128];
  ssize_t n = ::readlink((paths_.names() + "/" + key).c_str(), target, sizeof target - 1);
  std::string id;
  if (n > 0) {
    id = std::string(target, static_cast<size_t>(n));
  } else if (key.find_first_not_of("0123456789abcdef") == std::string::npos) {
    for (const auto& cand : list_dir(paths_.containers())) {
      if (!starts_with(cand, key)) continue;
      if (!id.empty())
        throw Error(Errc::invalid, "multiple containers match the ID prefix " + quote(key));
      id = cand;
    }
  }
  if (id.empty()) return std::nullopt;
  try {
    auto j = read_json_if_exists(dir(id) + "/config.json");
    if (!j) return std::nullopt;
    return j->get<Record>();
  } catch (const Error& e) {
    throw damaged_record(id, e.what());
  } catch (const json::exception& e) {
    throw damaged_record(id, e.what());
  }
}

Record Store::get(const std::string& key) const {
  auto r = find(key);
  if (!r)
    throw Error(Errc::not_found,
                "no container with name or ID \"" + key + "\" found: no such container", {},
                1);  // docker exits 1 for an object that does not exist
  return *r;
}

std::vector<Record> Store::list() const {
  std::vector<Record> out;
  for (const auto& id : list_dir(paths_.containers())) {
    try {
      auto j = read_json_if_exists(dir(id) + "/config.json");
      if (j)
        out.push_back(j->get<Record>());
      else
        remove_if_abandoned(id);
    } catch (const Error& e) {
      warn_damaged(id, e.what());
    } catch (const json::exception& e) {
      warn_damaged(id, e.what());
    }
  }
  return out;
}

std::vector<Summary> Store::summaries() const {
  std::vector<Summary> out;
  for (const auto& id : list_dir(paths_.containers())) {
    std::string path = dir(id) + "/config.json";
    auto text = read_record(path, containers_fd(), (id + "/config.json").c_str());
    if (!text) {
      remove_if_abandoned(id);
      continue;
    }
    SummaryReader r;
    try {
      r.parse(*text, path);
    } catch (const Error& e) {
      warn_damaged(id, e.what());
      continue;
    }
    out.push_back(std::move(r.summary));
  }
  return out;
}

void Store::remove_container_dir(const std::string& d) const {
  // Most upper dirs hold only files of the user's own uid and go at once;
  // files of subordinate uids need root in the user namespace.
  try {
    remove_tree(d);
  } catch (const Error&) {
    if (mapping_.single) throw;
    userns::run_in_userns(mapping_, [&] { remove_tree(d); });
  }
}

bool Store::remove_damaged(const std::string& id) const {
  if (!path_exists(dir(id))) return true;
  FileLock lock = FileLock::try_lock(dir(id) + "/lock");
  if (!lock.held()) return false;
  remove_container_dir(dir(id));
  return true;
}

void Store::remove_if_abandoned(const std::string& id) const {
  // A directory without config.json is a create or remove that a killed CLI
  // did not finish: its lock is free. The age covers the microseconds
  // between a create's mkdir and its taking the lock.
  struct stat st;
  if (::stat(dir(id).c_str(), &st) != 0 || ::time(nullptr) - st.st_mtime < 2) return;
  try {
    FileLock lock = FileLock::try_lock(dir(id) + "/lock");
    if (!lock.held() || path_exists(dir(id) + "/config.json")) return;
    remove_container_dir(dir(id));
    log_debug("removed abandoned container directory " + id);
  } catch (const Error& e) {
    if (path_exists(dir(id)))
      log_warn("cannot remove abandoned container directory " + dir(id) + ": " + e.what());
  }
}

namespace {

bool alive(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && runtime::process_start_time(pid) == start_time;
}

// A container whose process is gone while its monitor lives is being
// recorded (or restarted) by that monitor this very moment: its record is
// the monitor's to write. Only a dead monitor leaves the exit unknown.
bool orphaned(const State& s) {
  return s.status == "running" && !alive(s.pid, s.pid_start_time) &&
         !alive(s.monitor_pid, s.monitor_start_time);
}

void mark_exit_unknown(State& s) {
  s.status = "exited";
  s.exit_code = -1;
  s.pid = 0;
  if (s.finished_at.empty()) s.finished_at = now_rfc3339();
}

}  // namespace

int Store::containers_fd() const {
  if (!containers_fd_ || !*containers_fd_) {
    containers_fd_ = std::make_shared<UniqueFd>(
        ::open(paths_.containers().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  return containers_fd_->get();
}

State Store::read_state(const std::string& id) const {
  std::string path = dir(id) + "/state.json";
  auto text = read_record(path, containers_fd(), (id + "/state.json").c_str());
  if (!text) return State{};
  StateReader r;
  try {
    r.parse(*text, path);
  } catch (const Error& e) {
    throw damaged_record(id, e.what());
  }
  return r.state;
}

State Store::state(const std::string& id) const {
  State s = read_state(id);
  if (!orphaned(s)) return s;
  try {
    // Under the lock and read again: a start may have recorded a new
    // monitor since, and must not be overwritten with the old one's end.
    FileLock lock(dir(id) + "/lock");
    s = read_state(id);
    if (!orphaned(s)) return s;
    mark_exit_unknown(s);
    write_json_atomic(dir(id) + "/state.json", json(s));
  } catch (const Error&) {
    // A read-only view (another user's store) still reports the truth.
    mark_exit_unknown(s);
  }
  return s;
}

State Store::state_locked(const std::string& id) {
  State s = read_state(id);
  if (orphaned(s)) {
    mark_exit_unknown(s);
    // Recording it is a courtesy to later readers: a full disk must not
    // keep rm or stop from their work.
    try {
      write_json_atomic(dir(id) + "/state.json", json(s));
    } catch (const Error& e) {
      log_debug(std::string("cannot record the exit of ") + id + ": " + e.what());
    }
  }
  return s;
}

void Store::ensure_reserve() const {
  std::string path = paths_.reserve();
  if (path_exists(path)) return;
  try {
    atomic_write(path, std::string(4096, '\0'), 0600, false);
  } catch (const Error& e) {
    log_debug("cannot make the store's reserve: " + std::string(e.what()));
  }
}

void Store::save_state(const std::string& id, const State& s, bool durable) {
  write_json_atomic(dir(id) + "/state.json", json(s), 0644, durable);
}

void Store::save_record(const Record& r) {
  FileLock lock(dir(r.id) + "/lock");
  if (!path_exists(dir(r.id) + "/config.json"))
    throw Error(Errc::not_found, "no container with name or ID \"" + r.id + "\" found");
  write_json_atomic(dir(r.id) + "/config.json", json(r));
}

Record Store::modify(const std::string& id, const std::function<void(Record&)>& fn) {
  FileLock lock(dir(id) + "/lock");
  if (!path_exists(dir(id) + "/config.json"))
    throw Error(Errc::not_found, "no container with name or ID \"" + id + "\" found");
  Record r = read_json(dir(id) + "/config.json").get<Record>();
  fn(r);
  write_json_atomic(dir(id) + "/config.json", json(r));
  return r;
}

void Store::remove(const Record& r) {
  // Under the container's lock: a concurrent rm finds config.json gone and
  // stops, a listing does not sweep the directory from under us, and a
  // monitor recording the exit waits, then finds nothing to write into.
  std::optional<FileLock> lock;
  try {
    lock.emplace(dir(r.id) + "/lock");
  } catch (const Error& e) {
    if (e.code() != Errc::not_found) throw;
    throw Error(Errc::not_found, "no container with name or ID \"" + r.id + "\" found");
  }
  remove_locked(r);
}

void Store::remove_locked(const Record& r) {
  std::string d = dir(r.id);
  if (!path_exists(d + "/config.json"))
    throw Error(Errc::not_found, "no container with name or ID \"" + r.id + "\" found");
  // Drop config.json first so a crash mid-way leaves an unfinished directory
  // that no command shows, rather than a record pointing at missing files.
  ::unlink((d + "/config.json").c_str());
  if (read_claim(r.name) == r.id) ::unlink((paths_.names() + "/" + r.name).c_str());
  remove_container_dir(d);
}

Record Store::rename(const Record& r, const std::string& new_name) {
  if (!valid_name(new_name))
    throw Error(Errc::usage, "invalid container name " + quote(new_name) +
                                 ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  FileLock lock(dir(r.id) + "/lock");
  // Re-read under the lock: another rename may have won meanwhile.
  Record cur = read_json(dir(r.id) + "/config.json").get<Record>();
  if (cur.name == new_name)
    throw Error(Errc::usage, "renaming a container with the same name as its current name");
  std::string claim = paths_.names() + "/" + new_name;
  for (int attempt = 0;; ++attempt) {
    if (::symlink(cur.id.c_str(), claim.c_str()) == 0) break;
    if (errno != EEXIST) throw_errno("claiming name " + new_name);
    if (attempt < 3 && release_stale_claim(new_name)) continue;
    throw Error(Errc::exists,
                "the container name \"" + new_name + "\" is already in use by " +
                    read_claim(new_name).value_or("?"),
                "remove that container or choose a different name");
  }
  std::string old = cur.name;
  cur.name = new_name;
  try {
    write_json_atomic(dir(cur.id) + "/config.json", json(cur));
  } catch (...) {
    ::unlink(claim.c_str());
    throw;
  }
  if (read_claim(old) == cur.id) ::unlink((paths_.names() + "/" + old).c_str());
  return cur;
}

}  // namespace tug::container
