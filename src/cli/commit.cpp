// tug commit / tug container commit: a new image from a container's changes.
#include "container/commit.hpp"

#include "cli/commands.hpp"

namespace tug::cli {

void setup_commit(CLI::App* c, Globals& g) {
  struct Flags {
    std::string container;
    container::CommitOptions opts;
    bool pause = true, quiet = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-c,--change", f->opts.changes,
                "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);  // one change per -c: the container and name follow
  c->add_option("-m,--message", f->opts.message, "Commit message");
  c->add_option("-a,--author", f->opts.author, "Author (e.g., \"John Hannibal Smith\")");
  // Accepted for docker's scripts; a running container is read as it is.
  c->add_flag("-p,--pause", f->pause, "Pause container during commit (ignored)");
  c->add_flag("-q,--quiet", f->quiet, "Suppress output (accepted; only the id is printed)");
  c->add_option("CONTAINER", f->container, "Container to commit")->required();
  c->add_option("REPOSITORY", f->opts.reference, "Name of the new image, REPO[:TAG]");
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    image::Image img = container::commit(store, g.images(), store.get(f->container), f->opts);
    out("sha256:" + img.id);
  });
}

void register_commit(CLI::App& app, Globals& g) {
  setup_commit(add_command(app, "commit", "Create a new image from a container's changes"), g);
}

}  // namespace tug::cli
