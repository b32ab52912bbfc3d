#include "container/commit.hpp"

#include <fcntl.h>

#include <algorithm>

#include "image/archive.hpp"
#include "image/layer.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace tug::container {

json commit_config(const json& parent_config, const Record& rec, const std::string& diff_id,
                   const CommitOptions& opts, const std::string& now) {
  json cfg = parent_config.is_object() ? parent_config : json::object();
  if (!cfg.contains("config") || !cfg["config"].is_object()) cfg["config"] = json::object();
  json& c = cfg["config"];
  const runtime::Spec& spec = rec.spec;

  // A run that replaced the entrypoint commits its own (docker's rule).
  std::vector<std::string> image_entrypoint;
  if (auto it = c.find("Entrypoint"); it != c.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) image_entrypoint.push_back(v.get<std::string>());
  auto [entrypoint, cmd] = entrypoint_and_cmd(rec, image_entrypoint);
  if (entrypoint.empty())
    c.erase("Entrypoint");
  else
    c["Entrypoint"] = entrypoint;
  c["Cmd"] = cmd;
  // What the runtime added (container=tug, a terminal's TERM=xterm) is no
  // part of the image unless the image had it.
  std::vector<std::string> env;
  std::vector<std::string> image_env;
  if (auto it = c.find("Env"); it != c.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) image_env.push_back(v.get<std::string>());
  for (const auto& e : spec.env) {
    bool added = e == "container=tug" || (spec.tty && e == "TERM=xterm");
    if (!added || std::find(image_env.begin(), image_env.end(), e) != image_env.end())
      env.push_back(e);
  }
  c["Env"] = env;
  if (spec.cwd != "/" || c.contains("WorkingDir")) c["WorkingDir"] = spec.cwd;
  if (!spec.user.empty() || c.contains("User")) c["User"] = spec.user;
  if (!rec.labels.empty()) c["Labels"] = rec.labels;
  image::apply_config_changes(cfg, opts.changes);

  cfg["created"] = now;
  if (!opts.author.empty()) cfg["author"] = opts.author;
  if (!cfg.contains("rootfs") || !cfg["rootfs"].is_object())
    cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
  cfg["rootfs"]["diff_ids"].push_back(diff_id);
  json h = {{"created", now}, {"created_by", join(spec.args, " ")}};
  if (!opts.message.empty()) h["comment"] = opts.message;
  if (!opts.author.empty()) h["author"] = opts.author;
  if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
  cfg["history"].push_back(h);
  return cfg;
}

image::Image commit(const Store& store, image::Store& images, const Record& rec,
                    const CommitOptions& opts) {
  if (!rec.squashfs.empty() || !rec.rootfs_dir.empty())
    throw Error(Errc::unsupported,
                "commit of a container run from a squashfs image or --rootfs is not implemented",
                "its changes live on a tmpfs (squashfs) or in the directory itself");
  if (rec.driver == "vfs")
    throw Error(Errc::unsupported,
                "commit is not supported for containers of the vfs storage driver",
                "use `tug export` and `tug import` to make an image of the whole filesystem");
  // Validate the cheap things before writing a layer.
  std::string name =
      opts.reference.empty() ? "" : image::parse_local_reference(opts.reference).str();
  image::Image parent =
      with_context("the container's image", [&] { return images.get(rec.image_id); });
  json probe = json::object();
  image::apply_config_changes(probe, opts.changes);

  return with_context("committing " + rec.name, [&] {
    image::Staging st(images);
    std::string blob = st.dir() + "/commit.tar";
    std::string upper = store.dir(rec.id) + "/upper";
    // The upper dir holds files of subordinate uids; as root of the user
    // namespace they are read with their container owners.
    userns::run_in_userns(store.mapping(), [&] {
      image::TarOptions o;
      o.overlay_whiteouts = true;
      image::write_tar_file(upper, blob, o);
    });
    image::Layer layer = st.add_layer(blob);
    std::vector<image::Layer> layers = parent.layers;
    layers.push_back(layer);
    json cfg = commit_config(parent.config, rec, layer.diff_id, opts, now_rfc3339());
    st.add_image(cfg.dump(), "", layers,
                 name.empty() ? std::vector<std::string>{} : std::vector<std::string>{name});
    return st.commit().at(0);
  });
}

}  // namespace tug::container
