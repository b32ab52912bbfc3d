// tug unshare: run a command as root of tug's user namespace, with the same
// id mapping that owns the store's files (to inspect or remove them).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/commands.hpp"
#include "util/error.hpp"

namespace tug::cli {

void register_unshare(CLI::App& app, Globals& g) {
  CLI::App* c = add_command(app, "unshare", "Run a command in a modified user namespace");
  c->fallthrough(false);
  c->prefix_command();
  c->callback([c, &g] {
    std::vector<std::string> argv = c->remaining();
    if (!argv.empty() && argv[0].size() > 1 && argv[0][0] == '-')
      throw Error(Errc::usage, "unknown flag: " + argv[0], "see 'tug unshare --help'");
    if (argv.empty()) {
      const char* shell = std::getenv("SHELL");
      argv.push_back(shell && *shell ? shell : "/bin/sh");
    }
    const Paths& paths = g.paths();
    g.exit_code = userns::run_in_userns_status(g.mapping(), [&] {
      ::setenv("TUG_UNSHARED", "1", 1);
      ::setenv("TUG_ROOT", paths.data.c_str(), 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      int e = errno;
      throw Error(e == ENOENT ? Errc::not_found : Errc::permission,
                  "exec " + argv[0] + ": " + std::strerror(e), "",
                  e == ENOENT ? kExitNotFound : kExitCannotInvoke);
    });
  });
}

}  // namespace tug::cli
