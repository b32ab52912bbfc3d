// tug run: create a container from an image and run it in the foreground.
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/container_flags.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace tug::cli {

void register_run(CLI::App& app, Globals& g) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* c = add_command(app, "run", "Run a command in a new container");
  c->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  c->fallthrough(false);  // positionals must stay here, not climb to the global parser
  c->prefix_command();
  add_create_flags(c, *f);
  c->add_flag("-d,--detach", f->detach, "Run container in background and print container ID");
  c->callback([c, f, &g] {
    take_image_and_command(c, *f);
    container::AttachStreams streams = attach_streams(f->attach);
    if (f->detach && !f->attach.empty())
      throw Error(Errc::usage, "conflicting options: cannot specify both --attach and --detach", "",
                  1);
    // docker's check, before anything is made: a terminal's input must be one.
    if (!f->detach && f->create.tty && f->create.interactive && !::isatty(0))
      throw Error(Errc::usage, "the input device is not a TTY", "", 1);
    f->create.create_command = g.argv;
    pull_for_create(g, *f);
    create_new_pod(g, *f);
    container::Store store(g.paths(), g.mapping());
    container::Record rec = container::create(store, g.images(), f->create);
    container::StartOptions so = start_options(g, rec, !f->detach);
    int code;
    // docker's order: the client attaches, then starts the container.
    if (!f->detach) container::emit_event(store, rec, "attach");
    try {
      container::Running running = container::start(store, g.images(), rec, so);
      if (f->detach) {
        out(rec.id);
        return;
      }
      code = container::attach_session(store, rec, running.attach.get(), running.pid, streams);
      if (code == container::kDetached) {
        // Detached with ctrl-p ctrl-q: it runs on; --rm applies when it exits.
        return;
      }
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
    if (rec.auto_remove) {
      // docker's --rm takes the anonymous volumes along (-v /data, VOLUME).
      container::remove(store, rec, true);
      container::remove_anonymous_volumes(store, rec);
    }
    g.exit_code = code;
  });
}

}  // namespace tug::cli
