// tug export: a container's filesystem as a flat tar archive.
#include <fcntl.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace tug::cli {

void setup_export(CLI::App* c, Globals& g) {
  struct Flags {
    std::string output, name;
  };
  auto f = std::make_shared<Flags>();
  c->add_option("-o,--output", f->output, "Write to a file, instead of STDOUT");
  c->add_option("CONTAINER", f->name, "Container to export")->required();
  c->callback([f, &g] {
    container::Store store(g.paths(), g.mapping());
    container::Record rec = store.get(f->name);
    if (f->output.empty() && ::isatty(1))
      throw Error(Errc::usage, "refusing to write an archive to a terminal",
                  "use -o FILE or redirect standard output");
    if (f->output.empty()) {
      container::export_rootfs(store, g.images(), rec, 1);
      return;
    }
    // Written beside the target and renamed, so a failed export leaves no
    // truncated archive under the requested name.
    std::string tmp = f->output + ".tmp-" + std::to_string(::getpid());
    UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ScopeExit cleanup([&] { ::unlink(tmp.c_str()); });
    container::export_rootfs(store, g.images(), rec, fd.get());
    if (::fsync(fd.get()) != 0) throw_errno("fsync " + tmp);
    if (::rename(tmp.c_str(), f->output.c_str()) != 0) throw_errno("rename " + f->output);
    cleanup.dismiss();
  });
}

void register_export(CLI::App& app, Globals& g) {
  setup_export(add_command(app, "export", "Export a container's filesystem as a tar archive"), g);
}

}  // namespace tug::cli
