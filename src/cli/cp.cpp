// tug cp / tug container cp: copy files between a container and the host.
#include <unistd.h>

#include "cli/commands.hpp"
#include "container/copy.hpp"
#include "util/error.hpp"

namespace tug::cli {

void setup_cp(CLI::App* c, Globals& g) {
  struct Flags {
    std::string src, dst;
    bool follow = false, archive = false;
  };
  auto f = std::make_shared<Flags>();
  c->add_flag("-L,--follow-link", f->follow, "Always follow symbol link in SRC_PATH");
  c->add_flag("-a,--archive", f->archive, "Archive mode (copy all uid/gid information)");
  c->add_option("SRC", f->src, "CONTAINER:SRC_PATH, a host path, or - for a tar on stdin")
      ->required();
  c->add_option("DST", f->dst, "CONTAINER:DEST_PATH, a host path, or - for a tar on stdout")
      ->required();
  c->callback([f, &g] {
    if (f->archive)
      throw Error(Errc::unsupported, "cp --archive is not supported yet",
                  "files copied in belong to the container's root; copied out, to you");
    container::CopyArg src = container::parse_copy_arg(f->src);
    container::CopyArg dst = container::parse_copy_arg(f->dst);
    if (src.container.empty() && dst.container.empty())
      throw Error(Errc::usage, "must specify at least one container source");
    if (!src.container.empty() && !dst.container.empty())
      throw Error(Errc::usage, "copying between containers is not supported");
    if (dst.path == "-" && ::isatty(1))
      throw Error(Errc::usage, "refusing to write a tar archive to a terminal",
                  "redirect standard output");
    container::Store store(g.paths(), g.mapping());
    container::Record rec = store.get(src.container.empty() ? dst.container : src.container);
    container::CopyOptions opts;
    opts.follow_link = f->follow;
    container::copy(store, g.images(), rec, src, dst, opts);
  });
}

void register_cp(CLI::App& app, Globals& g) {
  setup_cp(
      add_command(app, "cp", "Copy files/folders between a container and the local filesystem"), g);
}

}  // namespace tug::cli
