// tug rmi / tug image rm: untag and remove images.
//
// Images used by containers: without -f the removal is refused; with -f tug
// does what podman does and removes those containers first (killing running
// ones), then the image. (docker -f would only untag; podman's rule keeps no
// container pointing at layers that are gone.)
#include <cstdio>

#include "build/cache.hpp"
#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"

namespace tug::cli {

namespace {

void remove_containers_of(Globals& g, const std::string& image_id) {
  container::Store store(g.paths(), g.mapping());
  for (const auto& r : store.list())
    if (r.image_id == image_id) container::remove(store, r, true);
}

// all: rmi -a, whose ids name every image on purpose.
void remove_one(Globals& g, const std::string& arg, bool force, bool all) {
  // No create may resolve the image between the in-use check and its removal.
  FileLock no_creates = container::image_use_lock(g.paths(), FileLock::Mode::exclusive);
  image::Store& images = g.images();
  image::Image img = images.get(arg);
  auto name = images.matching_name(img, arg);
  // A name of an image with other names: only that name goes.
  if (name && img.names.size() > 1) {
    images.untag(*name);
    out("Untagged: " + *name);
    return;
  }
  // docker's rule: an id names every tag at once, which only -f removes.
  if (!name && img.names.size() > 1 && !force && !all)
    throw Error(Errc::in_use,
                "conflict: unable to delete " + img.id.substr(0, 12) +
                    " (must be forced) - image is referenced in multiple repositories",
                "remove the names one by one, or use rmi -f", 1);
  auto in_use = container::image_ids_in_use(g.paths());
  if (in_use.count(img.id)) {
    if (!force) {
      std::string ctr;
      container::Store store(g.paths(), g.mapping());
      for (const auto& r : store.list())
        if (r.image_id == img.id) ctr = r.id;
      throw Error(Errc::in_use,
                  "image used by " + (ctr.empty() ? std::string("a container") : ctr) +
                      ": image is in use by a container",
                  "remove the container first, or use rmi -f to remove it with the image",
                  1);  // docker's exit code (podman's 2)
    }
    remove_containers_of(g, img.id);
  }
  for (const auto& n : img.names) {
    images.untag(n);
    out("Untagged: " + n);
  }
  images.remove(img.id);
  out("Deleted: " + img.id);
  // The steps of its build that no other image is built on go with it,
  // as with docker and podman, and so do their cache entries.
  container::Store store(g.paths(), g.mapping());
  for (const auto& id : build::remove_orphaned_parents(store, images, img.id))
    out("Deleted: " + id);
}

}  // namespace

void setup_rmi(CLI::App* c, Globals& g) {
  struct Flags {
    bool force = false, all = false, ignore = false;
    std::vector<std::string> images;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-f,--force", f->force,
              "Also remove containers using the image; ignore unknown images");
  c->add_flag("-a,--all", f->all, "Remove all images");
  c->add_flag("-i,--ignore", f->ignore, "Ignore errors if a specified image does not exist");
  c->add_option("IMAGE", f->images, "Images to remove");
  c->callback([f, &g] {
    std::vector<std::string> targets = f->images;
    if (f->all)
      for (const auto& img : g.images().list()) targets.push_back(img.id);
    if (targets.empty()) throw Error(Errc::usage, "image name or ID must be specified");
    std::optional<Error> last;
    for (const auto& t : targets) {
      try {
        remove_one(g, t, f->force, f->all);
      } catch (const Error& e) {
        if ((f->force || f->ignore) && e.code() == Errc::not_found) continue;
        if (last) std::fputs(("Error: " + std::string(last->what()) + "\n").c_str(), stderr);
        last = e;
      }
    }
    if (last) throw *last;
  });
}

void register_rmi(CLI::App& app, Globals& g) {
  setup_rmi(add_command(app, "rmi", "Remove one or more images from local storage"), g);
}

}  // namespace tug::cli
