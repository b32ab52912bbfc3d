// tug run: create a container from an image and run it in the foreground.
#include <unistd.h>

#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace tug::cli {

namespace {

struct RunFlags {
  container::CreateOptions create;
  std::string entrypoint;
  std::string workdir;
  std::string user;
  bool detach = false;
};

// Flags shared by create and run (docker's names and short forms).
void add_create_flags(CLI::App* c, RunFlags& f) {
  auto& o = f.create;
  c->add_option("--name", o.name, "Assign a name to the container");
  c->add_option("-e,--env", o.env, "Set environment variables")
      ->take_all()
      ->allow_extra_args(false);
  c->add_option("--env-file", o.env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  c->add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  c->add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  c->add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  c->add_option("-h,--hostname", o.hostname, "Container host name");
  c->add_option("--network,--net", o.network, "Connect a container to a network (none, host)");
  c->add_option("-v,--volume", o.volumes, "Bind mount a volume (SRC:DST[:ro])")
      ->allow_extra_args(false);
  c->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory (DST[:OPTIONS])")
      ->allow_extra_args(false);
  c->add_option("--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  c->add_option("--dns", o.dns, "Set custom DNS servers")->allow_extra_args(false);
  c->add_option("--cap-add", o.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  c->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  c->add_option("-l,--label", o.labels, "Set metadata on a container")->allow_extra_args(false);
  c->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  c->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  c->add_flag("-i,--interactive", o.interactive, "Keep STDIN open");
  c->add_flag("--init", o.init,
              "Run an init inside the container that forwards signals and reaps processes");
  c->add_option("--storage-driver", o.storage_driver,
                "Storage driver (overlay, fuse-overlayfs, vfs)");
}

// CLI11 stops at the image (prefix_command); what follows is the command.
void take_image_and_command(CLI::App* c, RunFlags& f) {
  std::vector<std::string> rest = c->remaining();
  if (rest.empty())
    throw Error(Errc::usage, "requires at least 1 arg(s), only received 0", "see 'tug run --help'");
  if (rest[0].size() > 1 && rest[0][0] == '-')
    throw Error(Errc::usage, "unknown flag: " + rest[0], "see 'tug run --help'");
  f.create.image = rest[0];
  f.create.command.assign(rest.begin() + 1, rest.end());
  if (!f.entrypoint.empty() || c->count("--entrypoint")) f.create.entrypoint = f.entrypoint;
  if (c->count("--workdir")) f.create.workdir = f.workdir;
  if (c->count("--user")) f.create.user = f.user;
}

}  // namespace

void register_run(CLI::App& app, Globals& g) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* c = add_command(app, "run", "Run a command in a new container");
  c->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  c->fallthrough(false);  // positionals must stay here, not climb to the global parser
  c->prefix_command();
  add_create_flags(c, *f);
  c->add_flag("--rm", f->create.auto_remove, "Remove the container when it exits");
  c->add_flag("-d,--detach", f->detach, "Run container in background and print container ID");
  c->callback([c, f, &g] {
    take_image_and_command(c, *f);
    container::Store store(g.paths(), g.mapping());
    container::Record rec = container::create(store, g.images(), f->create);
    container::StartOptions so;
    so.attach = !f->detach;
    if (f->detach && rec.auto_remove)
      so.exit_command = {self_exe(),    "--root", g.paths().data, "--runroot",
                         g.paths().run, "rm",     "-f",           rec.id};
    int code;
    try {
      container::Running running = container::start(store, g.images(), rec, so);
      if (f->detach) {
        out(rec.id);
        return;
      }
      code = container::attach_session(store, rec, running.attach.get(), running.pid);
    } catch (...) {
      if (rec.auto_remove) {
        try {
          container::remove(store, rec, true);
        } catch (const Error& e) {
          log_warn("removing container " + rec.id.substr(0, 12) + ": " + e.what());
        }
      }
      throw;
    }
    if (rec.auto_remove) container::remove(store, rec, true);
    g.exit_code = code;
  });
}

}  // namespace tug::cli
