// GET /volumes, /volumes/{name}, /networks, /networks/{id}.
#include "api/handlers.hpp"
#include "container/query.hpp"
#include "network/networks.hpp"
#include "util/error.hpp"
#include "volume/volume.hpp"

namespace tug::api {

Response volume_list(Context& ctx, const Target&) {
  volume::Store store(ctx.paths, ctx.mapping);
  json vols = json::array();
  for (const auto& v : store.list()) vols.push_back(volume::to_inspect_json(v));
  return json_response(200, json{{"Volumes", vols}, {"Warnings", json::array()}});
}

Response volume_inspect(Context& ctx, const Target&, const std::string& name) {
  volume::Store store(ctx.paths, ctx.mapping);
  auto v = store.find(name);
  if (!v) throw ApiError(404, "get " + name + ": no such volume");
  return json_response(200, volume::to_inspect_json(*v));
}

Response network_list(Context& ctx, const Target&) {
  network::NetworkStore nets(ctx.paths);
  container::Store ctrs(ctx.paths, ctx.mapping);
  json out = json::array();
  for (const auto& n : nets.list()) out.push_back(container::network_inspect_json(n, ctrs));
  return json_response(200, out);
}

Response network_inspect(Context& ctx, const Target&, const std::string& id) {
  network::NetworkStore nets(ctx.paths);
  auto n = nets.find(id);
  if (!n) throw ApiError(404, "network " + id + " not found");
  container::Store ctrs(ctx.paths, ctx.mapping);
  return json_response(200, container::network_inspect_json(*n, ctrs));
}

}  // namespace tug::api
