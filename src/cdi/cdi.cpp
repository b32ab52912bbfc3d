#include "cdi/cdi.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace tug::cdi {

namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
  throw Error(Errc::invalid, "CDI spec " + origin + ": " + what);
}

std::string str(const YAML::Node& n, const std::string& origin, const std::string& key) {
  if (!n) return {};
  if (!n.IsScalar()) bad(origin, key + " must be a string");
  return n.as<std::string>();
}

std::vector<std::string> strs(const YAML::Node& n, const std::string& origin,
                              const std::string& key) {
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) bad(origin, key + " must be a list of strings");
  for (const auto& e : n) {
    if (!e.IsScalar()) bad(origin, key + " must be a list of strings");
    out.push_back(e.as<std::string>());
  }
  return out;
}

// Every edit must name absolute paths: a relative one would resolve against
// whatever directory tug happens to run in.
void need_absolute(const std::string& path, const std::string& origin, const std::string& key) {
  if (path.empty() || path[0] != '/') bad(origin, key + " " + quote(path) + " is not absolute");
}

ContainerEdits parse_edits(const YAML::Node& n, const std::string& origin) {
  ContainerEdits e;
  if (!n) return e;
  if (!n.IsMap()) bad(origin, "containerEdits must be a mapping");
  e.env = strs(n["env"], origin, "env");
  for (const auto& v : e.env)
    if (v.find('=') == std::string::npos)
      bad(origin, "env entry " + quote(v) + " is not KEY=VALUE");
  if (auto nodes = n["deviceNodes"]) {
    if (!nodes.IsSequence()) bad(origin, "deviceNodes must be a list");
    for (const auto& d : nodes) {
      DeviceNode dn;
      dn.path = str(d["path"], origin, "deviceNodes.path");
      dn.host_path = str(d["hostPath"], origin, "deviceNodes.hostPath");
      if (dn.host_path.empty()) dn.host_path = dn.path;
      dn.permissions = str(d["permissions"], origin, "deviceNodes.permissions");
      need_absolute(dn.path, origin, "deviceNodes.path");
      need_absolute(dn.host_path, origin, "deviceNodes.hostPath");
      e.device_nodes.push_back(dn);
    }
  }
  if (auto mounts = n["mounts"]) {
    if (!mounts.IsSequence()) bad(origin, "mounts must be a list");
    for (const auto& m : mounts) {
      Mount mt;
      mt.host_path = str(m["hostPath"], origin, "mounts.hostPath");
      mt.container_path = str(m["containerPath"], origin, "mounts.containerPath");
      mt.options = strs(m["options"], origin, "mounts.options");
      mt.type = str(m["type"], origin, "mounts.type");
      need_absolute(mt.host_path, origin, "mounts.hostPath");
      need_absolute(mt.container_path, origin, "mounts.containerPath");
      e.mounts.push_back(mt);
    }
  }
  if (auto hooks = n["hooks"]) {
    if (!hooks.IsSequence()) bad(origin, "hooks must be a list");
    for (const auto& h : hooks) {
      Hook hk;
      hk.hook_name = str(h["hookName"], origin, "hooks.hookName");
      hk.path = str(h["path"], origin, "hooks.path");
      hk.args = strs(h["args"], origin, "hooks.args");
      hk.env = strs(h["env"], origin, "hooks.env");
      if (auto t = h["timeout"]) {
        try {
          hk.timeout = t.as<int>();
        } catch (const YAML::Exception&) {
          bad(origin, "hooks.timeout must be a number of seconds");
        }
      }
      if (hk.hook_name.empty()) bad(origin, "a hook without hookName");
      need_absolute(hk.path, origin, "hooks.path");
      e.hooks.push_back(hk);
    }
  }
  return e;
}

bool valid_kind(const std::string& kind) {
  bool found = false;
  auto [vendor, cls] = split_once(kind, '/', &found);
  auto ok = [](const std::string& s, const char* extra) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(extra, c);
    });
  };
  return found && ok(vendor, ".-_") && ok(cls, "-_");
}

}  // namespace

void ContainerEdits::append(const ContainerEdits& o) {
  env.insert(env.end(), o.env.begin(), o.env.end());
  device_nodes.insert(device_nodes.end(), o.device_nodes.begin(), o.device_nodes.end());
  mounts.insert(mounts.end(), o.mounts.begin(), o.mounts.end());
  hooks.insert(hooks.end(), o.hooks.begin(), o.hooks.end());
}

Spec parse_spec(const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    bad(origin, "line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) bad(origin, "not a mapping");
  Spec s;
  s.origin = origin;
  try {
    s.version = str(root["cdiVersion"], origin, "cdiVersion");
    if (s.version.empty()) bad(origin, "no cdiVersion");
    auto parts = split(s.version, '.');
    if (parts.size() < 2 || parts[0] != "0")
      bad(origin, "cdiVersion " + s.version + " is not supported (tug reads 0.x specs)");
    s.kind = str(root["kind"], origin, "kind");
    if (!valid_kind(s.kind)) bad(origin, "kind " + quote(s.kind) + " is not VENDOR/CLASS");
    s.edits = parse_edits(root["containerEdits"], origin);
    auto devices = root["devices"];
    if (!devices || !devices.IsSequence() || devices.size() == 0) bad(origin, "no devices");
    for (const auto& d : devices) {
      Device dev;
      dev.name = str(d["name"], origin, "devices.name");
      if (dev.name.empty()) bad(origin, "a device without a name");
      dev.edits = parse_edits(d["containerEdits"], origin);
      s.devices.push_back(dev);
    }
  } catch (const YAML::Exception& e) {
    bad(origin, e.what());
  }
  return s;
}

bool is_qualified_name(const std::string& text) {
  bool found = false;
  auto [kind, name] = split_once(text, '=', &found);
  return found && !name.empty() && valid_kind(kind);
}

std::vector<std::string> spec_dirs() {
  if (const char* env = std::getenv("TUG_CDI_SPEC_DIRS"); env && *env) {
    std::vector<std::string> out;
    for (const auto& d : split(env, ':'))
      if (!d.empty()) out.push_back(d);
    return out;
  }
  return {"/etc/cdi", "/var/run/cdi"};
}

std::vector<Spec> load_specs(const std::vector<std::string>& dirs) {
  std::vector<Spec> out;
  for (const auto& dir : dirs) {
    if (!path_exists(dir)) continue;
    std::vector<std::string> names = list_dir(dir);
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
      if (ends_with(n, ".yaml") || ends_with(n, ".yml") || ends_with(n, ".json")) {
        std::string path = dir + "/" + n;
        if (auto text = read_file_if_exists(path)) out.push_back(parse_spec(*text, path));
      }
  }
  return out;
}

ContainerEdits resolve(const std::vector<Spec>& specs, const std::vector<std::string>& names) {
  ContainerEdits out;
  std::vector<const Spec*> applied;
  for (const auto& full : names) {
    if (!is_qualified_name(full))
      throw Error(Errc::usage, quote(full) + " is not a CDI device name",
                  "CDI devices are named VENDOR/CLASS=NAME, e.g. nvidia.com/gpu=all");
    auto [kind, name] = split_once(full, '=');
    const Spec* spec = nullptr;
    const Device* dev = nullptr;
    // Later specs (later directories) take precedence.
    for (auto it = specs.rbegin(); it != specs.rend() && !dev; ++it) {
      if (it->kind != kind) continue;
      for (const auto& d : it->devices)
        if (d.name == name) {
          spec = &*it;
          dev = &d;
          break;
        }
    }
    if (!dev) {
      std::string known;
      for (const auto& s : specs)
        for (const auto& d : s.devices)
          known += (known.empty() ? "" : ", ") + s.kind + "=" + d.name;
      std::string dirs;
      for (const auto& d : spec_dirs()) dirs += (dirs.empty() ? "" : ", ") + d;
      throw Error(Errc::not_found, "CDI device " + full + " not found in the specs of " + dirs,
                  known.empty()
                      ? "no CDI specs are installed; the device's vendor tool writes "
                        "them (e.g. nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml)"
                      : "known devices: " + known);
    }
    if (std::find(applied.begin(), applied.end(), spec) == applied.end()) {
      out.append(spec->edits);
      applied.push_back(spec);
    }
    out.append(dev->edits);
  }
  return out;
}

}  // namespace tug::cdi
