#pragma once
// Read-only questions about the store that both front ends answer: the
// CLI (`tug ps`, `tug inspect`, `tug network inspect`) and the Engine API
// (api/: GET /containers/json, /containers/{id}/json, /networks). Each
// front end only encodes the result; the selection and the objects are
// built here once.
#include <map>
#include <string>
#include <vector>

#include "container/container.hpp"
#include "image/store.hpp"
#include "network/networks.hpp"
#include "util/json.hpp"

namespace tug::container {

// docker's ps filters: values of one key are alternatives, keys must all
// match.
using Filters = std::map<std::string, std::vector<std::string>>;

// Checks keys and values as docker does: Error(usage) for an unknown key
// or a status/health value docker does not know.
void check_filters(const Filters& f);
// The CLI's "KEY=VALUE" flags, checked.
Filters parse_filter_flags(const std::vector<std::string>& flags);

struct ListOptions {
  bool all = false;       // stopped ones too (a status/exited filter implies it)
  int last = -1;          // only the N newest (any state); -1 = no limit
  bool external = false;  // the RUN containers of builds too
  Filters filters;
};

struct Listed {
  Summary r;
  State st;
  std::string health;  // of a running container with a check; else empty
};

// The containers a listing shows, newest first. Records are read with only
// the fields a listing needs (a thousand must list in milliseconds).
std::vector<Listed> list(Store& store, image::Store& images, const ListOptions& o);

// docker's State as ps shows it: "paused" for a paused running one.
std::string listed_state(const State& st);
// docker's Status column: "Up 3 minutes (healthy)", "Exited (0) 2 hours ago".
std::string status_text(const State& st, const std::string& health);

// docker's inspect object for one container, with what it shows that is
// not in the record (image config, networks, health).
json inspect_object(const Store& store, image::Store& images, const Record& r);

// docker's shape of `network inspect`, with podman's keys that docker's lacks.
json network_inspect_json(const network::Network& n, const Store& containers);

}  // namespace tug::container
