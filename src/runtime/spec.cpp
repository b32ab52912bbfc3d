#include "runtime/spec.hpp"

#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::runtime {

void to_json(json& j, const MountSpec& m) {
  j = json{{"type", m.type == MountSpec::Type::bind ? "bind" : "tmpfs"},
           {"source", m.source},
           {"destination", m.destination},
           {"readonly", m.readonly},
           {"chown", m.chown},
           {"options", m.options},
           {"volume", m.volume}};
}

void from_json(const json& j, MountSpec& m) {
  m.type = j.value("type", "bind") == "tmpfs" ? MountSpec::Type::tmpfs : MountSpec::Type::bind;
  m.source = j.value("source", "");
  m.destination = j.value("destination", "");
  m.readonly = j.value("readonly", false);
  m.chown = j.value("chown", false);
  m.options = j.value("options", "");
  m.volume = j.value("volume", "");
}

void to_json(json& j, const DeviceSpec& d) {
  j = json{{"source", d.source}, {"destination", d.destination}, {"permissions", d.permissions}};
}

void from_json(const json& j, DeviceSpec& d) {
  d.source = j.value("source", "");
  d.destination = j.value("destination", d.source);
  d.permissions = j.value("permissions", "rwm");
}

void to_json(json& j, const HookSpec& h) {
  j = json{{"stage", h.stage},
           {"path", h.path},
           {"args", h.args},
           {"env", h.env},
           {"timeout", h.timeout}};
}

void from_json(const json& j, HookSpec& h) {
  h.stage = j.value("stage", "");
  h.path = j.value("path", "");
  h.args = j.value("args", std::vector<std::string>{});
  h.env = j.value("env", std::vector<std::string>{});
  h.timeout = j.value("timeout", 0);
}

DeviceSpec parse_device_flag(const std::string& text) {
  auto parts = split(text, ':');
  auto is_perms = [](const std::string& s) {
    return !s.empty() && s.size() <= 3 && s.find_first_not_of("rwm") == std::string::npos;
  };
  auto invalid = [&](const std::string& why) {
    return Error(Errc::usage, "invalid device " + quote(text) + ": " + why,
                 "use --device /dev/HOST[:/dev/CONTAINER][:PERMISSIONS] (permissions: r, w, m)");
  };
  if (parts.empty() || parts.size() > 3 || parts[0].empty())
    throw invalid("expected SRC[:DST][:PERMS]");
  DeviceSpec d;
  d.source = parts[0];
  d.destination = parts[0];
  if (parts.size() == 2) {
    if (is_perms(parts[1]))
      d.permissions = parts[1];
    else
      d.destination = parts[1];
  } else if (parts.size() == 3) {
    d.destination = parts[1];
    if (!is_perms(parts[2])) throw invalid(quote(parts[2]) + " is not a combination of r, w, m");
    d.permissions = parts[2];
  }
  if (d.source[0] != '/') throw invalid("the host path must be absolute");
  if (d.destination.empty() || d.destination[0] != '/')
    throw invalid("the container path must be absolute");
  return d;
}

void to_json(json& j, const Spec& s) {
  j = json{{"args", s.args},
           {"env", s.env},
           {"cwd", s.cwd},
           {"user", s.user},
           {"hostname", s.hostname},
           {"network", network::to_string(s.network)},
           {"ports", s.ports},
           {"networks", s.networks},
           {"mounts", s.mounts},
           {"devices", s.devices},
           {"hooks", s.hooks},
           {"extra_hosts", s.extra_hosts},
           {"dns", s.dns},
           {"dns_search", s.dns_search},
           {"dns_options", s.dns_options},
           {"ipc", s.ipc},
           {"shm_size", s.shm_size},
           {"group_add", s.group_add},
           {"cap_add", s.cap_add},
           {"cap_drop", s.cap_drop},
           {"read_only", s.read_only},
           {"tty", s.tty},
           {"stdin_open", s.stdin_open},
           {"init", s.init},
           {"stop_signal", s.stop_signal},
           {"stop_timeout", s.stop_timeout},
           {"restart_policy", s.restart_policy},
           {"sdnotify", s.sdnotify},
           {"cgroups", s.cgroups},
           {"log_driver", s.log_driver},
           {"log_opts", s.log_opts},
           {"security_opt", s.security_opt},
           {"seccomp_profile", s.seccomp_profile},
           {"limits", s.limits},
           {"ulimits", s.ulimits},
           {"privileged", s.privileged},
           {"userns", s.userns}};
}

void from_json(const json& j, Spec& s) {
  s.args = j.value("args", std::vector<std::string>{});
  s.env = j.value("env", std::vector<std::string>{});
  s.cwd = j.value("cwd", "/");
  s.user = j.value("user", "");
  s.hostname = j.value("hostname", "");
  // Records from before tug had networks of its own ran on the host's.
  s.network = network::parse_mode(j.value("network", "host"));
  s.ports = j.value("ports", std::vector<network::PortMapping>{});
  s.networks = j.value("networks", std::vector<network::Membership>{});
  s.mounts = j.value("mounts", std::vector<MountSpec>{});
  s.devices = j.value("devices", std::vector<DeviceSpec>{});
  s.hooks = j.value("hooks", std::vector<HookSpec>{});
  s.extra_hosts = j.value("extra_hosts", std::vector<std::pair<std::string, std::string>>{});
  s.dns = j.value("dns", std::vector<std::string>{});
  s.dns_search = j.value("dns_search", std::vector<std::string>{});
  s.dns_options = j.value("dns_options", std::vector<std::string>{});
  s.ipc = j.value("ipc", "");
  s.shm_size = j.value("shm_size", int64_t{0});
  s.group_add = j.value("group_add", std::vector<std::string>{});
  s.cap_add = j.value("cap_add", std::vector<std::string>{});
  s.cap_drop = j.value("cap_drop", std::vector<std::string>{});
  s.read_only = j.value("read_only", false);
  s.tty = j.value("tty", false);
  s.stdin_open = j.value("stdin_open", false);
  s.init = j.value("init", false);
  s.stop_signal = j.value("stop_signal", "SIGTERM");
  s.stop_timeout = j.value("stop_timeout", 10);
  s.restart_policy = j.value("restart_policy", "no");
  s.sdnotify = j.value("sdnotify", "container");
  s.cgroups = j.value("cgroups", "enabled");
  s.log_driver = j.value("log_driver", "k8s-file");
  s.log_opts = j.value("log_opts", std::map<std::string, std::string>{});
  s.security_opt = j.value("security_opt", std::vector<std::string>{});
  s.seccomp_profile = j.value("seccomp_profile", json());
  s.limits = j.value("limits", json::object());
  s.ulimits = j.value("ulimits", std::vector<std::string>{});
  s.privileged = j.value("privileged", false);
  s.userns = j.value("userns", "");
}

MountSpec parse_volume_flag(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() == 1 && !text.empty() && text[0] == '/') {
    // "-v /data": an anonymous volume there (docker's and podman's form).
    MountSpec m;
    m.destination = text;
    return m;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    throw Error(Errc::usage, "invalid volume specification " + quote(text) +
                                 ": expected SOURCE:DESTINATION[:OPTIONS]");
  MountSpec m;
  m.source = parts[0];
  m.destination = parts[1];
  if (m.source[0] != '/') {
    // A name, not a path: a named volume, resolved by the caller.
    m.volume = m.source;
    m.source.clear();
  }
  if (m.destination[0] != '/')
    throw Error(Errc::usage, "invalid volume destination " + quote(m.destination) +
                                 ": must be an absolute path");
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro")
        m.readonly = true;
      else if (opt == "U")
        m.chown = true;
      else if (opt == "nocopy")
        m.options = "nocopy";  // a bind's options: not filled from the image
      else if (opt == "rw" || opt == "z" || opt == "Z" || opt == "rbind" || opt == "bind")
        continue;
      else
        throw Error(Errc::usage, "invalid volume option " + quote(opt) + " in " + quote(text));
    }
  }
  return m;
}

MountSpec parse_mount_flag(const std::string& text) {
  MountSpec m;
  std::string type;
  std::string tmpfs_size, tmpfs_mode;
  for (const auto& field : split(text, ',')) {
    bool has_value = false;
    auto [key, value] = split_once(field, '=', &has_value);
    if (key == "type") {
      type = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "destination" || key == "dst") {
      m.destination = value;
    } else if (key == "readonly" || key == "ro") {
      if (has_value && value != "true" && value != "false" && value != "1" && value != "0")
        throw Error(Errc::usage, "invalid value for " + key + " in --mount " + quote(text));
      m.readonly = !has_value || value == "true" || value == "1";
    } else if (key == "tmpfs-size") {
      tmpfs_size = value;
    } else if (key == "tmpfs-mode") {
      tmpfs_mode = value;
    } else if (key == "bind-propagation" || key == "relabel" || key == "consistency" ||
               key == "bind-nonrecursive" || key == "volume-nocopy") {
      continue;  // accepted as docker does; tug's binds are rprivate and recursive
    } else {
      throw Error(Errc::usage, "unknown option " + quote(key) + " in --mount " + quote(text));
    }
  }
  if (type.empty()) type = "volume";  // docker's default
  if (m.destination.empty() || m.destination[0] != '/')
    throw Error(Errc::usage, "--mount " + quote(text) + " needs an absolute target=");
  if (type == "bind") {
    if (m.source.empty() || m.source[0] != '/')
      throw Error(Errc::usage, "--mount " + quote(text) + " needs an absolute source= for a bind");
  } else if (type == "volume") {
    // No source: an anonymous volume, made by the caller.
    if (!m.source.empty() && m.source[0] == '/')
      throw Error(Errc::usage, "--mount " + quote(text) + ": a volume's source is its name",
                  "use type=bind for a host path");
    m.volume = m.source.empty() ? "" : m.source;
    m.source.clear();
  } else if (type == "tmpfs") {
    if (!m.source.empty())
      throw Error(Errc::usage, "--mount " + quote(text) + ": a tmpfs has no source");
    m.type = MountSpec::Type::tmpfs;
    std::vector<std::string> opts;
    if (!tmpfs_size.empty()) opts.push_back("size=" + tmpfs_size);
    opts.push_back("mode=" + (tmpfs_mode.empty() ? std::string("1777") : tmpfs_mode));
    m.options = join(opts, ",");
  } else {
    throw Error(Errc::usage, "invalid mount type " + quote(type) + " in --mount " + quote(text),
                "use type=bind, type=volume or type=tmpfs");
  }
  return m;
}

Ulimit parse_ulimit(const std::string& text) {
  static const std::pair<const char*, int> kNames[] = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  bool has_eq = false;
  auto [name, values] = split_once(text, '=', &has_eq);
  Ulimit u;
  u.resource = -1;
  for (const auto& [n, r] : kNames)
    if (name == n) u.resource = r;
  if (!has_eq || u.resource < 0)
    throw Error(Errc::usage, "invalid ulimit " + quote(text),
                "use NAME=SOFT[:HARD] with NAME one of nofile, nproc, core, stack, memlock, cpu, "
                "fsize, data, as, locks, msgqueue, nice, rss, rtprio, rttime, sigpending");
  auto number = [&](const std::string& v) -> uint64_t {
    if (v == "-1" || v == "unlimited") return RLIM_INFINITY;
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || !end || *end || errno)
      throw Error(Errc::usage, "invalid ulimit value " + quote(v) + " in " + quote(text));
    return n;
  };
  bool has_hard = false;
  auto [soft, hard] = split_once(values, ':', &has_hard);
  u.soft = number(soft);
  u.hard = has_hard ? number(hard) : u.soft;
  if (u.soft > u.hard)
    throw Error(Errc::usage,
                "ulimit soft limit must be less than or equal to hard limit: " + quote(text));
  return u;
}

namespace {
const std::pair<const char*, int> kCaps[] = {
    {"CHOWN", CAP_CHOWN},
    {"DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    {"DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    {"FOWNER", CAP_FOWNER},
    {"FSETID", CAP_FSETID},
    {"KILL", CAP_KILL},
    {"SETGID", CAP_SETGID},
    {"SETUID", CAP_SETUID},
    {"SETPCAP", CAP_SETPCAP},
    {"LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    {"NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    {"NET_BROADCAST", CAP_NET_BROADCAST},
    {"NET_ADMIN", CAP_NET_ADMIN},
    {"NET_RAW", CAP_NET_RAW},
    {"IPC_LOCK", CAP_IPC_LOCK},
    {"IPC_OWNER", CAP_IPC_OWNER},
    {"SYS_MODULE", CAP_SYS_MODULE},
    {"SYS_RAWIO", CAP_SYS_RAWIO},
    {"SYS_CHROOT", CAP_SYS_CHROOT},
    {"SYS_PTRACE", CAP_SYS_PTRACE},
    {"SYS_PACCT", CAP_SYS_PACCT},
    {"SYS_ADMIN", CAP_SYS_ADMIN},
    {"SYS_BOOT", CAP_SYS_BOOT},
    {"SYS_NICE", CAP_SYS_NICE},
    {"SYS_RESOURCE", CAP_SYS_RESOURCE},
    {"SYS_TIME", CAP_SYS_TIME},
    {"SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    {"MKNOD", CAP_MKNOD},
    {"LEASE", CAP_LEASE},
    {"AUDIT_WRITE", CAP_AUDIT_WRITE},
    {"AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    {"SETFCAP", CAP_SETFCAP},
    {"MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    {"MAC_ADMIN", CAP_MAC_ADMIN},
    {"SYSLOG", CAP_SYSLOG},
    {"WAKE_ALARM", CAP_WAKE_ALARM},
    {"BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    {"AUDIT_READ", CAP_AUDIT_READ},
    {"PERFMON", 38},
    {"BPF", 39},
    {"CHECKPOINT_RESTORE", 40},
};
}  // namespace

int capability_number(const std::string& name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (starts_with(n, "CAP_")) n = n.substr(4);
  if (n == "ALL") return -1;
  for (const auto& [cap, num] : kCaps)
    if (n == cap) return num;
  throw Error(Errc::usage, "unknown capability " + quote(name));
}

int signal_number(const std::string& name) {
  // `kill -s -1`, `-HUP`: the dash of kill(1)'s `kill -HUP` is dropped, as
  // podman does.
  std::string bare = name.size() > 1 && name[0] == '-' ? name.substr(1) : name;
  std::string n;
  for (char c : bare) n.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) {
    int v = n.size() > 3 ? 65 : std::stoi(n);
    if (v == 0) throw Error(Errc::usage, "invalid signal: " + bare);
    if (v > 64) throw Error(Errc::usage, "valid signals are 1 through 64");
    return v;
  }
  if (starts_with(n, "SIG")) n = n.substr(3);
  static const std::pair<const char*, int> kSignals[] = {
      {"HUP", SIGHUP},     {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},
      {"TRAP", SIGTRAP},   {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
      {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
      {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
      {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  for (const auto& [sig, num] : kSignals)
    if (n == sig) return num;
  throw Error(Errc::usage, "invalid signal: " + bare);
}

void validate_security_opt(const std::string& opt) {
  for (const char* ok :
       {"seccomp=unconfined", "seccomp:unconfined", "no-new-privileges", "no-new-privileges:true",
        "no-new-privileges=true", "no-new-privileges:false", "no-new-privileges=false"})
    if (opt == ok) return;
  if (!seccomp_profile_path(opt).empty()) return;
  if (starts_with(opt, "fake-chown")) {
    if (fake_chown_opt(opt)) return;
    throw Error(Errc::usage, "invalid security option " + quote(opt),
                "use fake-chown=true or fake-chown=false");
  }
  throw Error(Errc::unsupported, "security option " + quote(opt) + " is not supported",
              "tug understands seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges and "
              "fake-chown=true|false");
}

std::optional<bool> fake_chown_opt(const std::string& opt) {
  if (opt == "fake-chown" || opt == "fake-chown=true" || opt == "fake-chown:true") return true;
  if (opt == "fake-chown=false" || opt == "fake-chown:false") return false;
  return std::nullopt;
}

std::string seccomp_profile_path(const std::string& opt) {
  for (const char* prefix : {"seccomp=", "seccomp:"})
    if (starts_with(opt, prefix) && opt.size() > 8 && opt.substr(8) != "unconfined")
      return opt.substr(8);
  return "";
}

std::string validate_ipc_mode(const std::string& mode) {
  if (mode.empty() || mode == "private" || mode == "shareable" || mode == "host" || mode == "none")
    return mode;
  if (starts_with(mode, "container:") && mode.size() > 10) return mode;
  throw Error(Errc::usage, "unrecognized namespace mode " + mode + " passed",
              "use --ipc host, private, shareable, none or container:NAME");
}

std::string validate_cgroups_mode(const std::string& mode) {
  if (mode.empty()) return "enabled";
  if (mode == "enabled" || mode == "disabled" || mode == "split" || mode == "no-conmon")
    return mode;
  throw Error(Errc::usage, "invalid --cgroups mode " + quote(mode),
              "use enabled, disabled, split or no-conmon");
}

std::string validate_sdnotify(const std::string& mode) {
  if (mode.empty()) return "container";
  if (mode == "conmon" || mode == "container" || mode == "ignore" || mode == "healthy") return mode;
  throw Error(Errc::usage, "invalid --sdnotify value " + quote(mode),
              "use conmon, container, healthy or ignore");
}

std::string validate_log_driver(const std::string& driver) {
  if (driver.empty() || driver == "k8s-file") return "k8s-file";
  if (driver == "json-file" || driver == "local") return "json-file";
  if (driver == "journald" || driver == "none" || driver == "passthrough") return driver;
  throw Error(Errc::usage, "invalid log driver " + quote(driver),
              "use k8s-file (the default), json-file, journald, none or passthrough");
}

void add_log_opt(std::map<std::string, std::string>& opts, const std::string& text) {
  bool ok = false;
  auto [key, value] = split_once(text, '=', &ok);
  if (!ok || key.empty())
    throw Error(Errc::usage, "invalid --log-opt " + quote(text) + ": expected KEY=VALUE");
  if (key == "max-size") {
    int64_t n = 0;
    try {
      n = value == "-1" ? 1 : parse_size(value);
    } catch (const Error&) {
    }
    if (n <= 0)
      throw Error(Errc::usage, "invalid --log-opt max-size " + quote(value),
                  "give a size such as 10m or 512k (-1: no limit)");
  } else if (key == "max-file") {
    if (value.empty() || value.size() > 6 ||
        value.find_first_not_of("0123456789") != std::string::npos || std::stoll(value) < 1)
      throw Error(Errc::usage, "invalid --log-opt max-file " + quote(value),
                  "give a number of files, at least 1");
  } else if (key == "path") {
    if (value.empty() || value[0] != '/')
      throw Error(Errc::usage, "invalid --log-opt path " + quote(value) + ": not an absolute path");
  } else if (key != "tag") {
    throw Error(Errc::usage, "unknown log option " + quote(key),
                "use max-size, max-file, tag or path");
  }
  opts[key] = value;
}

std::string validate_restart_policy(const std::string& p) {
  if (p.empty() || p == "no") return "no";
  if (p == "always" || p == "unless-stopped" || p == "on-failure") return p;
  if (starts_with(p, "on-failure:")) {
    std::string n = p.substr(11);
    if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) return p;
  }
  throw Error(Errc::usage, "invalid restart policy " + quote(p),
              "use no, on-failure[:max-retries], always or unless-stopped");
}

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "NET_BIND_SERVICE",
      "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT", "NET_RAW",
      "MKNOD",   "AUDIT_WRITE"};
  return caps;
}

}  // namespace tug::runtime
