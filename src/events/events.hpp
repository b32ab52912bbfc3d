#pragma once
// The event log behind `tug events`: one JSON object per line in
// <runtime root>/events.log, appended by every tug command that changes
// something and by the monitors (a container's die). There is no daemon to
// serialise writers, so each event is one write(2) on an O_APPEND fd: lines
// of concurrent writers never interleave. The file is bounded: past
// kMaxLogSize (TUG_EVENTS_MAX_SIZE overrides it) the writer that notices
// renames it to events.log.1 under events.lock, dropping the older one.
//
// Line format (also written by src/monitor/, which links nothing of this):
//   {"time_nano":N,"type":"container","action":"die","id":"…","attributes":{"name":"x",…}}
// Actions use docker's names (create, attach, start, die, stop, kill, pause,
// unpause, restart, destroy, exec_start, exec_die, "health_status: healthy";
// image pull, push, tag, untag, delete, build, save, load, import; volume
// create, destroy; pod create, start, stop, remove).
#include <stdint.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "util/json.hpp"

namespace tug::events {

inline constexpr int64_t kMaxLogSize = 1 << 20;

struct Event {
  int64_t time_nano = 0;  // since the epoch
  std::string type;       // container, image, volume, pod
  std::string action;
  std::string id;
  std::map<std::string, std::string> attributes;
};

std::string log_path(const Paths& paths);

// Appends e (time_nano 0: now). Never throws: a failure to log is a
// warning, never a failed command.
void emit(const Paths& paths, Event e);
// The common case: type, action, id and the attributes.
void emit(const Paths& paths, const std::string& type, const std::string& action,
          const std::string& id, std::map<std::string, std::string> attributes = {});

std::string to_line(const Event& e);
std::optional<Event> parse_line(const std::string& line);

// docker's `{{json .}}` shape: status and id (container and image events),
// from (container events), Type, Action, Actor {ID, Attributes}, scope,
// time, timeNano.
json to_docker_json(const Event& e);
// What --format templates see: docker's shape plus podman's event fields
// (Name, Status, ID and Image, empty where the type has none; From too),
// so a template written for either engine works. Every event has the same
// keys, so a template can be strict about them.
json to_template_json(const Event& e);
// docker's default line: "2006-01-02T15:04:05.000000000Z07:00 container
// create ID (image=busybox, name=x)", attributes sorted by key.
std::string to_text(const Event& e);

// `--filter`s: values of one key are alternatives, keys must all match.
// Keys: type, event (action; podman's names died/remove are accepted),
// container (id prefix or name), image, volume, pod, label (KEY[=VALUE]).
class Filter {
 public:
  // Throws Error(usage) for a malformed filter; an unknown key is ignored
  // with a warning, as docker and podman ignore it.
  explicit Filter(const std::vector<std::string>& flags);
  bool matches(const Event& e) const;

 private:
  std::map<std::string, std::vector<std::string>> by_key_;
};

// docker's --since/--until: a Unix time (with fraction), an RFC 3339 time,
// or a duration before now ("10m", "1h30m"). Returns nanoseconds.
int64_t parse_time(const std::string& text);

// Calls fn for every logged event with since <= time_nano (< until when
// until > 0), oldest first, from the rotated file then the current one.
// With follow, keeps watching the log (inotify) for new lines until fn
// returns false or until passes; without it returns at the end of the log.
void read(const Paths& paths, int64_t since, int64_t until, bool follow,
          const std::function<bool(const Event&)>& fn);

}  // namespace tug::events
