// What the lifecycle operations share: events, locks, the container's
// mapping and names, the attach socket's path.
#include "container/lifecycle.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include "container/lifecycle_internal.hpp"
#include "events/events.hpp"
#include "runtime/executor.hpp"
#include "util/lock.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::container {

std::string seccomp_cache(const Store& store) {
  return store.paths().run + "/seccomp";
}

std::string joined_id(const std::string& mode) {
  return starts_with(mode, "container:") ? mode.substr(10) : std::string();
}

std::string joined_id(const network::Mode& mode) {
  return mode.kind == network::Mode::Kind::container ? mode.target : std::string();
}

FileLock image_use_lock(const Paths& paths, FileLock::Mode mode) {
  return FileLock(paths.data + "/image-use.lock", mode);
}

void caller_terminal_size(runtime::Plan& plan) {
  struct winsize ws {};
  if (::ioctl(1, TIOCGWINSZ, &ws) != 0 && ::ioctl(0, TIOCGWINSZ, &ws) != 0) return;
  plan.tty_rows = ws.ws_row;
  plan.tty_cols = ws.ws_col;
}

std::string effective_hostname(const Record& r) {
  return r.spec.hostname.empty() ? r.id.substr(0, 12) : r.spec.hostname;
}

userns::Mapping container_mapping(const Store& store, const Record& rec) {
  auto keep = userns::parse_keep_id(rec.spec.userns, 0, 0);
  if (!keep) return store.mapping();
  return userns::keep_id_mapping(store.mapping(), keep->uid, keep->gid);
}

bool lives(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && runtime::process_start_time(pid) == start_time;
}

void emit_event(const Store& store, const Record& r, const std::string& action,
                const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> attrs = r.labels;
  attrs["name"] = r.name;
  attrs["image"] = r.image_name;
  for (const auto& [k, v] : extra) attrs[k] = v;
  events::emit(store.paths(), "container", action, r.id, std::move(attrs));
}

std::string attach_socket_path(const Paths& paths, const std::string& id) {
  // Short: sun_path holds 108 bytes and runtime dirs can be deep.
  return paths.run + "/" + id.substr(0, 12) + ".sock";
}

}  // namespace tug::container
