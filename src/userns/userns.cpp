#include "userns/userns.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "config/paths.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace tug::userns {

namespace {

std::optional<uint32_t> map_id(const std::vector<IdMap>& maps, uint32_t id) {
  for (const auto& m : maps)
    if (id >= m.container && id - m.container < m.size) return m.host + (id - m.container);
  return std::nullopt;
}

std::string map_text(const std::vector<IdMap>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container) + " " + std::to_string(m.host) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

void write_proc_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd = open_or_throw(path, O_WRONLY);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("write " + path);
}

void run_map_helper(const char* helper, pid_t pid, const std::vector<IdMap>& maps) {
  std::vector<std::string> argv = {helper, std::to_string(pid)};
  for (const auto& m : maps) {
    argv.push_back(std::to_string(m.container));
    argv.push_back(std::to_string(m.host));
    argv.push_back(std::to_string(m.size));
  }
  CommandResult r = run_command(argv);
  if (r.status != 0)
    throw Error(
        Errc::permission,
        std::string(helper) + " failed (exit " + std::to_string(r.status) + "): " + trim(r.err),
        "check /etc/subuid and /etc/subgid and that newuidmap/newgidmap are setuid or "
        "have file capabilities (package uidmap)");
}

}  // namespace

std::optional<uint32_t> Mapping::host_uid(uint32_t id) const {
  return map_id(uids, id);
}
std::optional<uint32_t> Mapping::host_gid(uint32_t id) const {
  return map_id(gids, id);
}
std::string Mapping::uid_map_text() const {
  return map_text(uids);
}
std::string Mapping::gid_map_text() const {
  return map_text(gids);
}

std::optional<SubIdRange> find_subid_range(const std::string& file, const std::string& user,
                                           uid_t uid) {
  auto text = read_file_if_exists(file);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  std::string uid_str = std::to_string(uid);
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() != 3 || (f[0] != user && f[0] != uid_str)) continue;
    try {
      SubIdRange r{static_cast<uint32_t>(std::stoul(f[1])),
                   static_cast<uint32_t>(std::stoul(f[2]))};
      if (r.count > 0) return r;
    } catch (...) {
    }
  }
  return std::nullopt;
}

Mapping default_mapping(const std::string& subuid_file, const std::string& subgid_file) {
  Mapping m;
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  std::string user = current_user_name();
  auto ur = find_subid_range(subuid_file, user, uid);
  auto gr = find_subid_range(subgid_file, user, uid);
  // The helpers are looked for only when there are ranges for them to map.
  bool helpers =
      ur && gr && !find_in_path("newuidmap").empty() && !find_in_path("newgidmap").empty();
  if (helpers) {
    m.uids = {{0, uid, 1}, {1, ur->start, ur->count}};
    m.gids = {{0, gid, 1}, {1, gr->start, gr->count}};
    return m;
  }
  m.single = true;
  if (!ur || !gr)
    m.single_reason =
        "no subordinate id range for user " + user + " in " + (!ur ? subuid_file : subgid_file);
  else
    m.single_reason = "newuidmap/newgidmap not found (install package uidmap)";
  m.uids = {{0, uid, 1}};
  m.gids = {{0, gid, 1}};
  return m;
}

Mapping keep_id_mapping(const Mapping& base, uid_t uid, gid_t gid) {
  auto remap = [](const std::vector<IdMap>& maps, uint32_t self) {
    // Host ids available besides our own: the subordinate range(s).
    std::vector<IdMap> out;
    uint32_t host_self = maps.empty() ? self : maps[0].host;
    out.push_back({self, host_self, 1});
    uint32_t next = 0;  // next container id to fill
    for (size_t i = 1; i < maps.size(); ++i) {
      uint32_t host = maps[i].host, left = maps[i].size;
      while (left > 0) {
        if (next == self) ++next;
        uint32_t limit = next < self ? self - next : UINT32_MAX - next;
        uint32_t n = std::min(left, limit);
        out.push_back({next, host, n});
        next += n;
        host += n;
        left -= n;
      }
    }
    return out;
  };
  Mapping m = base;
  m.uids = remap(base.uids, uid);
  m.gids = remap(base.gids, gid);
  return m;
}

std::string KeepId::canonical() const {
  return "keep-id:uid=" + std::to_string(uid) + ",gid=" + std::to_string(gid);
}

std::optional<KeepId> parse_keep_id(const std::string& mode, uid_t host_uid, gid_t host_gid) {
  if (mode != "keep-id" && mode.rfind("keep-id:", 0) != 0) return std::nullopt;
  KeepId k{host_uid, host_gid};
  if (mode == "keep-id") return k;
  auto bad = [&](const std::string& why) {
    return Error(Errc::usage, "invalid --userns " + quote(mode) + ": " + why,
                 "use keep-id or keep-id:uid=UID,gid=GID");
  };
  std::string opts = mode.substr(8);
  if (opts.empty()) throw bad("no options after keep-id:");
  for (const auto& opt : split(opts, ',')) {
    bool has_eq = false;
    auto [key, value] = split_once(opt, '=', &has_eq);
    if (!has_eq || value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
        value.size() > 9)
      throw bad(quote(opt) + " is not KEY=NUMBER");
    auto n = static_cast<uint32_t>(std::stoul(value));
    if (key == "uid")
      k.uid = n;
    else if (key == "gid")
      k.gid = n;
    else
      throw bad("unknown option " + quote(key) + " (keep-id takes uid and gid)");
  }
  return k;
}

std::string fuse_idmapping(const std::vector<IdMap>& storage, const std::vector<IdMap>& container) {
  std::string out;
  for (const auto& s : storage)
    for (const auto& c : container) {
      // The host ids both mappings share: stored as container id SHOWN
      // under `storage`, seen as SEEN through the container's map.
      uint64_t lo = std::max<uint64_t>(s.host, c.host);
      uint64_t hi = std::min<uint64_t>(uint64_t{s.host} + s.size, uint64_t{c.host} + c.size);
      if (lo >= hi) continue;
      uint64_t seen = c.container + (lo - c.host), shown = s.container + (lo - s.host);
      if (!out.empty()) out += ':';
      out += std::to_string(seen) + ":" + std::to_string(shown) + ":" + std::to_string(hi - lo);
    }
  return out;
}

void write_id_maps(pid_t pid, const Mapping& m) {
  if (m.single) {
    write_proc_file(pid, "uid_map", m.uid_map_text());
    write_proc_file(pid, "setgroups", "deny");
    write_proc_file(pid, "gid_map", m.gid_map_text());
    return;
  }
  run_map_helper("newuidmap", pid, m.uids);
  run_map_helper("newgidmap", pid, m.gids);
}

namespace {

// Serialises an Error for the trip through the pipe: code, exit, hint, msg.
std::string encode_error(const Error& e) {
  std::string hint = e.hint();
  std::string msg = e.what();
  return std::to_string(static_cast<int>(e.code())) + "\n" + std::to_string(e.exit_code()) + "\n" +
         std::to_string(hint.size()) + "\n" + hint + msg;
}

Error decode_error(const std::string& s) {
  std::istringstream in(s);
  int code = 0, exit_code = kExitToolError;
  size_t hint_len = 0;
  in >> code >> exit_code >> hint_len;
  in.get();
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string hint = rest.substr(0, std::min(hint_len, rest.size()));
  std::string msg = hint_len <= rest.size() ? rest.substr(hint_len) : rest;
  return Error(static_cast<Errc>(code), msg, hint, exit_code);
}

// In a forked helper: runs body, sends an Error it throws through err_fd and
// ends the process (1 on failure, 0 otherwise).
[[noreturn]] void finish_child(int err_fd, const std::function<void()>& body) {
  std::string failure;
  try {
    body();
  } catch (const Error& e) {
    failure = encode_error(e);
  } catch (const std::exception& e) {
    failure = encode_error(Error(Errc::generic, e.what()));
  }
  if (!failure.empty()) {
    ssize_t ignored = ::write(err_fd, failure.data(), failure.size());
    (void)ignored;
    ::_exit(1);
  }
  ::_exit(0);
}

// In the parent: reads what finish_child sent until the helper closes it,
// waits for the helper and rethrows its Error; else returns its wait status.
int collect_child(int err_fd, Child& child) {
  std::string failure;
  char buf[4096];
  for (;;) {
    ssize_t r = ::read(err_fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    failure.append(buf, static_cast<size_t>(r));
  }
  int st = child.wait();
  if (!failure.empty()) throw decode_error(failure);
  return st;
}

}  // namespace

void run_in_userns(const Mapping& m, const std::function<void()>& fn, int extra_flags) {
  int code = run_in_userns_status(m, fn, extra_flags);
  if (code != 0)
    throw Error(Errc::generic,
                "user namespace helper process failed (status " + std::to_string(code) + ")");
}

int run_in_userns_status(const Mapping& m, const std::function<void()>& fn, int extra_flags) {
  if (extra_flags < 0) extra_flags = CLONE_NEWNS;
  Pipe to_child = Pipe::make(), to_parent = Pipe::make(), err = Pipe::make();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    to_child.write.reset();
    to_parent.read.reset();
    err.read.reset();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    finish_child(err.write.get(), [&] {
      if (::unshare(CLONE_NEWUSER | extra_flags) != 0)
        throw Error(Errc::permission,
                    std::string("cannot create a user namespace: ") + std::strerror(errno),
                    "unprivileged user namespaces must be enabled "
                    "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)");
      char c = 'u';
      write_all(to_parent.write.get(), &c, 1);
      if (!read_exact(to_child.read.get(), &c, 1) || c != 'm')
        throw Error(Errc::io, "id mapping was not written");
      if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
        throw Error(Errc::permission,
                    std::string("setresuid in user namespace: ") + std::strerror(errno));
      fn();
    });
  }
  Child child(pid, Child::OnDestroy::kill_and_wait);
  to_child.read.reset();
  to_parent.write.reset();
  err.write.reset();
  char c = 0;
  if (read_exact(to_parent.read.get(), &c, 1)) {
    write_id_maps(pid, m);
    c = 'm';
    write_all(to_child.write.get(), &c, 1);
  }
  to_child.write.reset();
  int st = collect_child(err.read.get(), child);
  return exit_code_of(st);
}

void run_joined(int userns_fd, const std::function<void()>& fn) {
  struct stat target, self;
  bool same = ::fstat(userns_fd, &target) == 0 && ::stat("/proc/self/ns/user", &self) == 0 &&
              target.st_ino == self.st_ino && target.st_dev == self.st_dev;
  Pipe err = Pipe::make();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    err.read.reset();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Not dumpable: a process of the container (root there) may not ptrace
    // or open /proc of a helper that holds fds of the host.
    ::prctl(PR_SET_DUMPABLE, 0);
    finish_child(err.write.get(), [&] {
      if (!same && ::setns(userns_fd, CLONE_NEWUSER) != 0)
        throw Error(Errc::permission,
                    std::string("joining the container's user namespace: ") + std::strerror(errno));
      fn();
    });
  }
  Child child(pid, Child::OnDestroy::kill_and_wait);
  err.write.reset();
  int st = collect_child(err.read.get(), child);
  if (exit_code_of(st) != 0)
    throw Error(Errc::generic, "namespace helper process failed (status " +
                                   std::to_string(exit_code_of(st)) + ")");
}

}  // namespace tug::userns
