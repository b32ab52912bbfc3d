#pragma once
// containers-storage's storage.conf, the parts a rootless tug honours:
// [storage] graphroot, runroot and [storage.options] additionalimagestores.
// Read from $CONTAINERS_STORAGE_CONF, else $XDG_CONFIG_HOME/containers/
// storage.conf (~/.config/...), else /etc/containers/storage.conf, whose
// graphroot/runroot are root's and so ignored, as podman ignores them rootless.
#include <string>
#include <vector>

namespace tug {

struct StorageConf {
  std::string origin;  // the file read, "" when none
  std::string graphroot;
  std::string runroot;
  std::vector<std::string> additional_image_stores;
};

// Parses text (TOML); origin names the file in errors. Throws Error(invalid).
StorageConf parse_storage_conf(const std::string& text, const std::string& origin);
// The file that applies, parsed; an empty StorageConf when there is none.
StorageConf load_storage_conf();

}  // namespace tug
