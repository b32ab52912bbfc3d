// Quadlet-style units: NAME.container, NAME.volume, NAME.network and
// NAME.pod files (podman-systemd.unit(5)'s keys) turned into services that
// run tug. Every section other than the kind's own ([Container], ...)
// passes through untouched; the kind's section is kept as [X-Container]
// (systemd ignores X- sections), so the unit still shows what it came from.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <set>

#include "systemd/systemd.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::systemd {

namespace {

[[noreturn]] void fail_at(const std::string& path, int line, const std::string& what,
                          const std::string& hint = "") {
  throw Error(Errc::usage, path + ":" + std::to_string(line) + ": " + what, hint);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool parse_bool(const std::string& path, const Entry& e) {
  std::string v = e.value;
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "yes" || v == "true" || v == "1" || v == "on") return true;
  if (v == "no" || v == "false" || v == "0" || v == "off") return false;
  fail_at(path, e.line, e.key + "=" + e.value + " is not a boolean", "use yes or no");
}

// What a reference to another Quadlet file (Volume=data.volume:/d,
// Network=net.network, Pod=p.pod) names, and the unit it needs.
struct Reference {
  std::string resource;  // the volume, network or pod tug knows ("systemd-data")
  std::string unit;      // "data-volume.service"; empty for a plain name
};
// The file referred to is read from the referring file's directory for its
// VolumeName=, NetworkName= or PodName= (name_key), as podman's does.
Reference resolve(const std::string& from, const std::string& value, const char* kind,
                  const char* name_key) {
  std::string ext = std::string(".") + kind;
  if (value.size() <= ext.size() || !ends_with(value, ext)) return {value, ""};
  std::string stem = value.substr(0, value.size() - ext.size());
  Reference r{"systemd-" + stem, stem + "-" + kind + ".service"};
  auto slash = from.rfind('/');
  std::string other = (slash == std::string::npos ? "" : from.substr(0, slash + 1)) + value;
  if (auto text = read_file_if_exists(other)) {
    try {
      for (const auto& s : parse_unit_file(other, *text))
        for (const auto& e : s.entries)
          if (e.key == name_key && !e.value.empty()) r.resource = e.value;
    } catch (const Error&) {
      // Its own unit reports what is wrong with it.
    }
  }
  return r;
}

// Keys podman's Quadlet documents that tug has no flag for (yet): named as
// not implemented, unlike keys nobody documents, which are unknown.
const std::set<std::string> kContainerNotImplemented = {"AddDevice",
                                                        "Annotation",
                                                        "EnvironmentHost",
                                                        "ExposeHostPort",
                                                        "GIDMap",
                                                        "HealthOnFailure",
                                                        "HealthStartupCmd",
                                                        "HealthStartupInterval",
                                                        "HealthStartupRetries",
                                                        "HealthStartupSuccess",
                                                        "HealthStartupTimeout",
                                                        "IP",
                                                        "IP6",
                                                        "LogDriver",
                                                        "Mask",
                                                        "Rootfs",
                                                        "Secret",
                                                        "SecurityLabelDisable",
                                                        "SecurityLabelFileType",
                                                        "SecurityLabelLevel",
                                                        "SecurityLabelNested",
                                                        "SecurityLabelType",
                                                        "ShmSize",
                                                        "SubGIDMap",
                                                        "SubUIDMap",
                                                        "Sysctl",
                                                        "Timezone",
                                                        "UIDMap",
                                                        "Unmask",
                                                        "UserNS",
                                                        "CgroupsMode",
                                                        "LogOpt"};

struct Builder {
  std::string path;
  std::vector<std::string> args;  // flags of tug's command
  std::vector<std::string> unit_lines;
  std::set<std::string> deps_seen;
  void require(const std::string& unit, bool binds = false) {
    if (unit.empty() || !deps_seen.insert(unit).second) return;
    unit_lines.push_back(std::string(binds ? "BindsTo=" : "Requires=") + unit);
    unit_lines.push_back("After=" + unit);
  }
  void flag(const std::string& f, const std::string& v) {
    args.push_back(f);
    args.push_back(v);
  }
};

void not_implemented(const std::string& path, const Entry& e, const std::string& section) {
  fail_at(path, e.line, "key " + e.key + " in section [" + section + "] is not implemented by tug",
          "remove it, or pass a tug flag through PodmanArgs=");
}

void unknown(const std::string& path, const Entry& e, const std::string& section) {
  fail_at(path, e.line, "unknown key " + e.key + " in section [" + section + "]",
          "see podman-systemd.unit(5) for the keys of [" + section + "]");
}

std::string join_exec(const std::vector<std::string>& words) {
  std::vector<std::string> esc;
  for (const auto& w : words) esc.push_back(exec_word(w, true));
  return join(esc, " ");
}

// [Container]: the flags of `tug run`.
void container_keys(Builder& b, const std::vector<Entry>& entries, std::string& image,
                    std::vector<std::string>& exec, std::string& name, std::string& notify) {
  std::string user, group;
  int user_line = 0;
  std::vector<std::string> extra;
  for (const auto& e : entries) {
    const std::string& k = e.key;
    auto words = [&] { return split_words(e.value); };
    if (k == "Image") {
      image = e.value;
    } else if (k == "Exec") {
      exec = words();
    } else if (k == "ContainerName") {
      name = e.value;
    } else if (k == "Environment") {
      for (const auto& w : words()) b.flag("-e", w);
    } else if (k == "EnvironmentFile") {
      b.flag("--env-file", e.value);
    } else if (k == "PublishPort") {
      b.flag("-p", e.value);
    } else if (k == "Volume") {
      std::string v = e.value;
      auto colon = v.find(':');
      Reference r = resolve(b.path, v.substr(0, colon), "volume", "VolumeName");
      b.require(r.unit);
      b.flag("-v", r.resource + (colon == std::string::npos ? "" : v.substr(colon)));
    } else if (k == "Mount") {
      b.flag("--mount", e.value);
    } else if (k == "Tmpfs") {
      b.flag("--tmpfs", e.value);
    } else if (k == "Network") {
      Reference r = resolve(b.path, e.value, "network", "NetworkName");
      b.require(r.unit);
      b.flag("--network", r.resource);
    } else if (k == "Pod") {
      Reference r = resolve(b.path, e.value, "pod", "PodName");
      if (r.unit.empty())
        fail_at(b.path, e.line, "Pod=" + e.value + " must name a .pod file", "Pod=NAME.pod");
      b.require(r.unit, true);
      b.flag("--pod", r.resource);
    } else if (k == "User") {
      user = e.value;
      user_line = e.line;
    } else if (k == "Group") {
      group = e.value;
      if (!user_line) user_line = e.line;
    } else if (k == "Label") {
      for (const auto& w : words()) b.flag("-l", w);
    } else if (k == "Notify") {
      // yes: the container tells systemd; healthy: the monitor, once the
      // healthcheck passes.
      notify = e.value == "healthy" ? "healthy" : parse_bool(b.path, e) ? "container" : "conmon";
    } else if (k == "HealthCmd") {
      b.flag("--health-cmd", e.value);
    } else if (k == "HealthInterval") {
      b.flag("--health-interval", e.value);
    } else if (k == "HealthRetries") {
      b.flag("--health-retries", e.value);
    } else if (k == "HealthStartPeriod") {
      b.flag("--health-start-period", e.value);
    } else if (k == "HealthTimeout") {
      b.flag("--health-timeout", e.value);
    } else if (k == "AutoUpdate") {
      if (e.value != "registry" && e.value != "local")
        fail_at(b.path, e.line, "AutoUpdate=" + e.value + " is neither registry nor local");
      b.flag("-l", "io.containers.autoupdate=" + e.value);
    } else if (k == "WorkingDir") {
      b.flag("-w", e.value);
    } else if (k == "HostName") {
      b.flag("--hostname", e.value);
    } else if (k == "ReadOnly") {
      if (parse_bool(b.path, e)) b.args.push_back("--read-only");
    } else if (k == "RunInit") {
      if (parse_bool(b.path, e)) b.args.push_back("--init");
    } else if (k == "NoNewPrivileges") {
      if (parse_bool(b.path, e)) b.flag("--security-opt", "no-new-privileges");
    } else if (k == "SeccompProfile") {
      b.flag("--security-opt", "seccomp=" + e.value);
    } else if (k == "AddCapability") {
      for (const auto& w : words()) b.flag("--cap-add", w);
    } else if (k == "DropCapability") {
      for (const auto& w : words()) b.flag("--cap-drop", w);
    } else if (k == "AddHost") {
      b.flag("--add-host", e.value);
    } else if (k == "DNS") {
      b.flag("--dns", e.value);
    } else if (k == "Ulimit") {
      b.flag("--ulimit", e.value);
    } else if (k == "StopTimeout") {
      b.flag("--stop-timeout", e.value);
    } else if (k == "Pull") {
      b.flag("--pull", e.value);
    } else if (k == "Entrypoint") {
      b.flag("--entrypoint", e.value);
    } else if (k == "PodmanArgs") {
      for (const auto& w : words()) extra.push_back(w);
    } else if (kContainerNotImplemented.count(k)) {
      not_implemented(b.path, e, "Container");
    } else {
      unknown(b.path, e, "Container");
    }
  }
  if (!group.empty() && user.empty())
    fail_at(b.path, user_line, "Group= needs User=", "User=UID and Group=GID");
  if (!user.empty()) b.flag("--user", group.empty() ? user : user + ":" + group);
  b.args.insert(b.args.end(), extra.begin(), extra.end());
}

}  // namespace

std::vector<std::string> split_words(const std::string& v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    if (i >= v.size()) break;
    std::string w;
    bool any = false;
    while (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i]))) {
      char c = v[i];
      if (c == '"' || c == '\'') {
        any = true;
        char q = c;
        for (++i; i < v.size() && v[i] != q; ++i) {
          if (v[i] == '\\' && i + 1 < v.size()) ++i;
          w += v[i];
        }
        if (i < v.size()) ++i;  // the closing quote
        continue;
      }
      if (c == '\\' && i + 1 < v.size()) ++i;
      w += v[i++];
      any = true;
    }
    if (any) out.push_back(w);
  }
  return out;
}

std::vector<Section> parse_unit_file(const std::string& path, const std::string& text) {
  std::vector<Section> sections;
  std::vector<std::string> lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    int lineno = static_cast<int>(i) + 1;
    std::string line = trim(lines[i]);
    // A trailing backslash continues the line (systemd joins with a space).
    while (!line.empty() && line.back() == '\\' && i + 1 < lines.size()) {
      line.pop_back();
      line = trim(line);
      std::string next = trim(lines[++i]);
      if (!next.empty() && (next[0] == '#' || next[0] == ';')) continue;
      line += " " + next;
    }
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3)
        fail_at(path, lineno, "invalid section header " + quote(line));
      sections.push_back({line.substr(1, line.size() - 2), {}});
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      fail_at(path, lineno, "expected KEY=VALUE, got " + quote(line));
    if (sections.empty()) fail_at(path, lineno, "KEY=VALUE outside of a section");
    sections.back().entries.push_back(
        {trim(line.substr(0, eq)), trim(line.substr(eq + 1)), lineno});
  }
  return sections;
}

QuadletUnit quadlet_unit(const std::string& path, const std::string& text, const std::string& tug) {
  std::string file = base_name(path);
  auto dot = file.rfind('.');
  if (dot == std::string::npos || dot == 0)
    throw Error(Errc::usage, path + ": not a .container, .volume, .network, .pod or .kube file");
  std::string stem = file.substr(0, dot), ext = file.substr(dot + 1);
  static const std::map<std::string, std::string> kinds = {{"container", "Container"},
                                                           {"volume", "Volume"},
                                                           {"network", "Network"},
                                                           {"pod", "Pod"},
                                                           {"kube", "Kube"}};
  auto kind = kinds.find(ext);
  if (kind == kinds.end())
    throw Error(Errc::usage, path + ": not a .container, .volume, .network, .pod or .kube file");
  const std::string& own = kind->second;
  std::vector<Section> sections = parse_unit_file(path, text);
  std::vector<Entry> mine;
  bool found = false;
  for (const auto& s : sections)
    if (s.name == own) {
      found = true;
      mine.insert(mine.end(), s.entries.begin(), s.entries.end());
    }
  if (!found) throw Error(Errc::usage, path + ": no [" + own + "] section");

  QuadletUnit u;
  u.name = ext == "container" || ext == "kube" ? stem + ".service" : stem + "-" + ext + ".service";
  Builder b;
  b.path = path;
  b.unit_lines = {"SourcePath=" + path, "RequiresMountsFor=%t/tug"};
  std::vector<std::string> service;
  std::string t = exec_word(tug);
  std::string resource = "systemd-" + stem;

  if (ext == "container") {
    std::string image, name = "systemd-%N";
    std::vector<std::string> exec;
    std::string notify = "conmon";
    container_keys(b, mine, image, exec, name, notify);
    if (image.empty())
      fail_at(path, 1, "no Image= in [Container]", "Image=IMAGE is the one required key");
    std::vector<std::string> run = {
        "run", "--name=" + name,      "--cidfile=%t/%N.cid", "--replace", "--rm", "--cgroups=split",
        "-d",  "--sdnotify=" + notify};
    run.insert(run.end(), b.args.begin(), b.args.end());
    run.push_back(image);
    run.insert(run.end(), exec.begin(), exec.end());
    service = {"Environment=PODMAN_SYSTEMD_UNIT=%n",
               "KillMode=mixed",
               "ExecStop=" + t + " rm -f -i --cidfile=%t/%N.cid",
               "ExecStopPost=-" + t + " rm -f -i --cidfile=%t/%N.cid",
               "ExecStopPost=-/bin/rm -f %t/%N.cid",
               "Delegate=yes",
               "Type=notify",
               "NotifyAccess=all",
               "SyslogIdentifier=%N",
               "ExecStart=" + t + " " + join_exec(run)};
  } else if (ext == "volume") {
    std::vector<std::string> args;
    for (const auto& e : mine) {
      if (e.key == "VolumeName")
        resource = e.value;
      else if (e.key == "Label")
        for (const auto& w : split_words(e.value)) b.flag("-l", w);
      else if (e.key == "Copy" || e.key == "Device" || e.key == "Driver" || e.key == "Group" ||
               e.key == "Image" || e.key == "Options" || e.key == "Type" || e.key == "User")
        not_implemented(path, e, own);
      else
        unknown(path, e, own);
    }
    std::vector<std::string> cmd = {"volume", "create", "--ignore"};
    cmd.insert(cmd.end(), b.args.begin(), b.args.end());
    cmd.push_back(resource);
    service = {"ExecStart=" + t + " " + join_exec(cmd), "Type=oneshot", "RemainAfterExit=yes",
               "SyslogIdentifier=%N"};
  } else if (ext == "network") {
    for (const auto& e : mine) {
      const std::string& k = e.key;
      if (k == "NetworkName")
        resource = e.value;
      else if (k == "Label")
        for (const auto& w : split_words(e.value)) b.flag("--label", w);
      else if (k == "Driver")
        b.flag("--driver", e.value);
      else if (k == "Subnet")
        b.flag("--subnet", e.value);
      else if (k == "Gateway")
        b.flag("--gateway", e.value);
      else if (k == "IPRange")
        b.flag("--ip-range", e.value);
      else if (k == "DNS")
        b.flag("--dns", e.value);
      else if (k == "Options")
        b.flag("--opt", e.value);
      else if (k == "IPv6") {
        if (parse_bool(path, e)) b.args.push_back("--ipv6");
      } else if (k == "Internal") {
        if (parse_bool(path, e)) b.args.push_back("--internal");
      } else if (k == "DisableDNS") {
        if (parse_bool(path, e)) b.args.push_back("--disable-dns");
      } else if (k == "PodmanArgs") {
        for (const auto& w : split_words(e.value)) b.args.push_back(w);
      } else if (k == "IPAMDriver")
        not_implemented(path, e, own);
      else
        unknown(path, e, own);
    }
    std::vector<std::string> cmd = {"network", "create", "--ignore"};
    cmd.insert(cmd.end(), b.args.begin(), b.args.end());
    cmd.push_back(resource);
    service = {"ExecStart=" + t + " " + join_exec(cmd), "Type=oneshot", "RemainAfterExit=yes",
               "SyslogIdentifier=%N"};
  } else if (ext == "kube") {
    // Relative paths are the Quadlet file's directory's, as podman's.
    std::string dir = path.substr(0, path.rfind('/') + 1);
    auto absolute = [&](const std::string& p) { return p.empty() || p[0] == '/' ? p : dir + p; };
    std::string yaml;
    for (const auto& e : mine) {
      const std::string& k = e.key;
      if (k == "Yaml") {
        yaml = absolute(e.value);
      } else if (k == "PublishPort") {
        b.flag("--publish", e.value);
      } else if (k == "ConfigMap") {
        b.flag("--configmap", absolute(e.value));
      } else if (k == "Network") {
        Reference r = resolve(path, e.value, "network", "NetworkName");
        b.require(r.unit);
        b.flag("--network", r.resource);
      } else if (k == "PodmanArgs") {
        for (const auto& w : split_words(e.value)) b.args.push_back(w);
      } else if (k == "AutoUpdate") {
        // AutoUpdate=registry|local for every container, CONTAINER/POLICY for one.
        for (const auto& w : split_words(e.value)) {
          auto slash = w.find('/');
          b.flag("--annotation", slash == std::string::npos
                                     ? "io.containers.autoupdate=" + w
                                     : "io.containers.autoupdate/" + w.substr(0, slash) + "=" +
                                           w.substr(slash + 1));
        }
      } else if (k == "UserNS" || k == "LogDriver" || k == "ExitCodePropagation" ||
                 k == "SetWorkingDirectory" || k == "KubeDownForce" ||
                 k == "ContainersConfModule" || k == "GlobalArgs") {
        not_implemented(path, e, own);
      } else {
        unknown(path, e, own);
      }
    }
    if (yaml.empty()) fail_at(path, 1, "no Yaml= in [Kube]", "Yaml=FILE is the one required key");
    b.unit_lines.push_back("RequiresMountsFor=" + yaml);
    // The pods run under their own monitors: the unit makes them (replacing
    // what a previous start left) and takes them down again.
    std::vector<std::string> play = {"kube", "play", "--replace"};
    play.insert(play.end(), b.args.begin(), b.args.end());
    play.push_back(yaml);
    service = {"Environment=PODMAN_SYSTEMD_UNIT=%n",
               "ExecStart=" + t + " " + join_exec(play),
               "ExecStop=" + t + " " + join_exec({"kube", "down", yaml}),
               "Type=oneshot",
               "RemainAfterExit=yes",
               "SyslogIdentifier=%N"};
  } else {  // pod
    for (const auto& e : mine) {
      const std::string& k = e.key;
      if (k == "PodName") {
        resource = e.value;
      } else if (k == "PublishPort") {
        b.flag("-p", e.value);
      } else if (k == "Network") {
        Reference r = resolve(path, e.value, "network", "NetworkName");
        b.require(r.unit);
        b.flag("--network", r.resource);
      } else if (k == "Label") {
        for (const auto& w : split_words(e.value)) b.flag("-l", w);
      } else if (k == "AddHost") {
        b.flag("--add-host", e.value);
      } else if (k == "DNS") {
        b.flag("--dns", e.value);
      } else if (k == "HostName") {
        b.flag("--hostname", e.value);
      } else if (k == "PodmanArgs") {
        for (const auto& w : split_words(e.value)) b.args.push_back(w);
      } else if (k == "Volume" || k == "IP" || k == "IP6" || k == "UserNS" || k == "GIDMap" ||
                 k == "UIDMap" || k == "SubUIDMap" || k == "SubGIDMap" || k == "DNSOption" ||
                 k == "DNSSearch" || k == "NetworkAlias" || k == "ShmSize") {
        not_implemented(path, e, own);
      } else {
        unknown(path, e, own);
      }
    }
    // No --new for pods in tug: the unit makes the pod (replacing a stale
    // one), starts it, and takes it down; the members' units bind to it.
    std::vector<std::string> create = {"pod", "create", "--replace", "--name", resource};
    create.insert(create.end(), b.args.begin(), b.args.end());
    service = {"ExecStartPre=" + t + " " + join_exec(create),
               "ExecStart=" + t + " pod start " + exec_word(resource, true),
               "ExecStop=" + t + " pod stop " + exec_word(resource, true),
               "ExecStopPost=-" + t + " pod rm -f " + exec_word(resource, true),
               "Type=oneshot",
               "RemainAfterExit=yes",
               "SyslogIdentifier=%N"};
  }

  // [Unit] first (the user's entries, then ours), the kind's section as
  // X-, [Service] (the user's, then ours), then every other section.
  auto emit_user = [&](const std::string& name) {
    std::string out;
    for (const auto& s : sections)
      if (s.name == name)
        for (const auto& e : s.entries) out += e.key + "=" + e.value + "\n";
    return out;
  };
  std::string o = "# Automatically generated by tug-systemd-generator from " + path + "\n";
  o += "[Unit]\n" + emit_user("Unit");
  for (const auto& l : b.unit_lines) o += l + "\n";
  o += "\n[X-" + own + "]\n" + emit_user(own);
  o += "\n[Service]\n" + emit_user("Service");
  for (const auto& l : service) o += l + "\n";
  std::set<std::string> done = {"Unit", own, "Service"};
  for (const auto& s : sections) {
    if (!done.insert(s.name).second) continue;
    o += "\n[" + s.name + "]\n" + emit_user(s.name);
    if (s.name == "Install")
      for (const auto& e : s.entries)
        if (e.key == "WantedBy" || e.key == "RequiredBy")
          for (const auto& w : split_words(e.value)) u.wanted_by.push_back(w);
  }
  u.text = o;
  return u;
}

std::vector<std::string> quadlet_dirs(bool user) {
  if (const char* env = std::getenv("QUADLET_UNIT_DIRS"); env && *env) {
    std::vector<std::string> dirs;
    for (const auto& d : split(env, ':'))
      if (!d.empty()) dirs.push_back(d);
    return dirs;
  }
  if (!user) return {"/etc/containers/systemd", "/usr/share/containers/systemd"};
  std::string config;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
    config = x;
  } else {
    const char* home = std::getenv("HOME");
    if ((!home || !*home)) {
      if (struct passwd* pw = ::getpwuid(::getuid())) home = pw->pw_dir;
    }
    config = std::string(home ? home : "") + "/.config";
  }
  return {config + "/containers/systemd",
          "/etc/containers/systemd/users/" + std::to_string(::getuid()),
          "/etc/containers/systemd/users"};
}

}  // namespace tug::systemd
