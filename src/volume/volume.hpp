#pragma once
// Named volumes, on the layout docker uses: volumes/<name>/_data holds the
// files, volumes/<name>/volume.json the record. A volume is created by
// `volume create` or on first use by `run -v NAME:/path` (then filled from
// the image's content at that path, as docker does); anonymous volumes (an
// image's VOLUME entries) have random names and go with `rm -v`.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "userns/userns.hpp"
#include "util/json.hpp"

namespace tug::volume {

struct Volume {
  std::string name;
  std::string created;  // RFC 3339
  bool anonymous = false;
  std::map<std::string, std::string> labels;
  std::string mountpoint;  // <data>/volumes/<name>/_data
  // `volume create -o`: type, device, o (the local driver's mount), uid,
  // gid (podman's owner of the volume's root). Empty: a plain directory.
  std::map<std::string, std::string> options;

  // type=tmpfs: a tmpfs (options o) mounted fresh at each container start.
  bool is_tmpfs() const;
  // type=none with o=bind: the host directory `device` bound in its place.
  std::string bind_device() const;
};

// Checks `volume create -o KEY=VALUE` options (type, device, o, uid, gid)
// and returns them as a map; Error(usage)/Error(unsupported) with the
// reason for what the rootless local driver cannot do (a block device).
std::map<std::string, std::string> parse_options(const std::vector<std::string>& opts);

// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool valid_name(const std::string& name);

class Store {
 public:
  Store(const Paths& paths, const userns::Mapping& mapping);

  // Creates the volume; returns it and whether it was new (an existing name
  // is returned as is when exist_ok, else Error(exists)).
  std::pair<Volume, bool> create(const std::string& name, bool anonymous = false,
                                 const std::map<std::string, std::string>& labels = {},
                                 bool exist_ok = false,
                                 const std::map<std::string, std::string>& options = {});
  std::optional<Volume> find(const std::string& name) const;
  Volume get(const std::string& name) const;  // Error(not_found) "no such volume"
  std::vector<Volume> list() const;
  // Removes files and record (inside the user namespace when needed). The
  // caller checks that no container uses it.
  void remove(const std::string& name);
  // Whether the volume's directory is empty (to decide pre-filling).
  bool empty(const std::string& name) const;

 private:
  std::string dir(const std::string& name) const;
  Volume load(const std::string& name, const json& j) const;

  Paths paths_;
  userns::Mapping mapping_;
};

json to_inspect_json(const Volume& v);

}  // namespace tug::volume
