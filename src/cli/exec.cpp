// tug exec: run a command in a running container.
#include <unistd.h>

#include "cli/commands.hpp"
#include "container/lifecycle.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_exec(CLI::App& app, Globals& g) {
  struct Flags {
    container::ExecOptions opts;
    std::string user, workdir;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "exec", "Run a command in a running container");
  c->fallthrough(false);
  c->prefix_command();
  c->add_flag("-i,--interactive", f->opts.interactive, "Keep STDIN open");
  c->add_flag("-t,--tty", f->opts.tty, "Allocate a pseudo-TTY");
  c->add_flag("-d,--detach", f->opts.detach, "Run the command in the background");
  c->add_option("-e,--env", f->opts.env, "Set environment variables")->allow_extra_args(false);
  c->add_option("--env-file", f->opts.env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  c->add_option("-u,--user", f->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  c->add_flag("--privileged", f->opts.privileged,
              "Give extended privileges (every capability) to the command");
  c->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
  c->callback([c, f, &g] {
    std::vector<std::string> rest = c->remaining();
    if (!rest.empty() && rest[0].size() > 1 && rest[0][0] == '-')
      throw Error(Errc::usage, "unknown flag: " + rest[0], "see 'tug exec --help'");
    // A container without a command exits 1, as docker's; nothing at all
    // is the usual usage error (125).
    if (rest.size() < 2)
      throw Error(Errc::usage,
                  "requires at least 2 arg(s), only received " + std::to_string(rest.size()),
                  "usage: tug exec [OPTIONS] CONTAINER COMMAND [ARG...]",
                  rest.size() == 1 ? 1 : kExitToolError);
    // docker's check, before anything runs: a terminal's input must be one.
    if (!f->opts.detach && f->opts.tty && f->opts.interactive && !::isatty(0))
      throw Error(Errc::usage, "the input device is not a TTY", "", 1);
    if (c->count("--user")) f->opts.user = f->user;
    if (c->count("--workdir")) f->opts.workdir = f->workdir;
    f->opts.command.assign(rest.begin() + 1, rest.end());
    container::Store store(g.paths(), g.mapping());
    g.exit_code = container::exec(store, store.get(rest[0]), f->opts);
  });
}

}  // namespace tug::cli
