// tug: entry point. Parses global flags, dispatches to one subcommand, and is
// the single place where errors turn into "Error: ..." and an exit code.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

int report(const Error& e) {
  std::fflush(stdout);
  std::string msg = std::string("Error: ") + e.what() + "\n";
  if (!e.hint().empty()) msg += "Hint: " + e.hint() + "\n";
  std::fputs(msg.c_str(), stderr);
  return e.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tug: rootless, daemonless containers", "tug"};
  app.require_subcommand(1);
  Globals g;
  g.argv.assign(argv, argv + argc);
  app.add_option("--root", g.root, "Storage root directory");
  app.add_option("--runroot", g.runroot, "Runtime state directory");
  app.add_option("--log-level", g.log_level, "Log level (error, warn, info, debug)")
      ->each([](const std::string& v) {
        LogLevel l;
        if (!parse_log_level(v, &l))
          throw Error(Errc::usage, "invalid log level " + quote(v),
                      "use error, warn, info or debug");
        set_log_level(l);
      });
  bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print version information and exit");
  app.set_version_flag();

  try {
    if (argc == 2 && (std::string(argv[1]) == "-v" || std::string(argv[1]) == "--version")) {
      out(std::string("tug version ") + TUG_VERSION);
      return 0;
    }
    // The command is the first word that is neither a global flag nor its
    // value.
    std::string word;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--root" || a == "--runroot" || a == "--log-level") {
        ++i;
        continue;
      }
      if (a.empty() || a[0] == '-') continue;
      word = a;
      break;
    }
    // Name an unknown command as such rather than as an unexpected argument.
    if (!register_commands(app, g, word) && !word.empty())
      throw Error(Errc::usage, "unrecognized command `tug " + word + "`",
                  "try 'tug --help' for more information");
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      return app.exit(CLI::CallForHelp());
    } catch (const CLI::CallForAllHelp&) {
      return app.exit(CLI::CallForAllHelp());
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);
      throw Error(Errc::usage, e.what(), "see 'tug --help'");
    }
    return g.exit_code;
  } catch (const Error& e) {
    return report(e);
  } catch (const std::exception& e) {
    return report(Error(Errc::generic, e.what()));
  }
}

}  // namespace tug::cli

int main(int argc, char** argv) {
  tug::LogLevel lvl;
  if (const char* l = std::getenv("TUG_LOG_LEVEL"); l && tug::parse_log_level(l, &lvl))
    tug::set_log_level(lvl);
  int code = tug::cli::main(argc, argv);
  // Straight out: the static destructors (CLI11's validators in every
  // command's file, the iostreams) free memory the kernel takes back
  // anyway, and paging their code in again cost 0.1-0.25 ms of each exit.
  std::fflush(nullptr);
  std::cout.flush();
  ::_exit(code);
}
