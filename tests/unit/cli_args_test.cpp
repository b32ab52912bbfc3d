// pflag's habits on CLI11 (cli/args.hpp): last value wins, `-X=V` forms,
// and the container's command after run's image left alone.
#include <doctest/doctest.h>

#include <algorithm>

#include "cli/args.hpp"
#include "cli/commands.hpp"

using namespace tug;

namespace {

struct Parsed {
  std::string name, workdir, signal;
  bool detach = true, rm = false, interactive = false;
  std::vector<std::string> env;
  std::vector<std::string> rest;
};

// A `run`-like command: value options, flags and a prefix command.
void parse(std::vector<std::string> args, Parsed& p) {
  CLI::App app;
  cli::take_last_values(app);
  std::string root;
  app.add_option("--root", root);
  CLI::App* run = app.add_subcommand("run");
  run->fallthrough(false);  // as tug run: its positionals stay its own
  run->prefix_command();
  run->add_option("--name", p.name);
  run->add_option("-w,--workdir", p.workdir);
  run->add_option("-s,--signal", p.signal);
  run->add_flag("-d,--detach", p.detach);
  run->add_flag("--rm", p.rm);
  run->add_flag("-i,--interactive", p.interactive);
  run->add_option("-e,--env", p.env)->allow_extra_args(false);
  auto norm = cli::normalize_args(app, args);
  std::reverse(norm.begin(), norm.end());
  app.parse(std::move(norm));
  p.rest = run->remaining();
}

}  // namespace

TEST_CASE("a repeated single-valued option takes its last value; lists keep all") {
  Parsed p;
  parse({"run", "--name", "a", "--name", "b", "-w", "/x", "--workdir=/y", "-e", "A=1", "-e", "B=2",
         "img"},
        p);
  CHECK(p.name == "b");
  CHECK(p.workdir == "/y");
  CHECK(p.env == std::vector<std::string>{"A=1", "B=2"});
  CHECK(p.rest == std::vector<std::string>{"img"});
}

TEST_CASE("short flags take a value after '=' as docker's do") {
  Parsed p;
  parse({"run", "-d=false", "-i=true", "--rm=false", "-w=/tmp", "-e=A=1", "img"}, p);
  CHECK_FALSE(p.detach);
  CHECK(p.interactive);
  CHECK_FALSE(p.rm);
  CHECK(p.workdir == "/tmp");
  CHECK(p.env == std::vector<std::string>{"A=1"});
}

TEST_CASE("a value that starts with a dash is the option's value") {
  Parsed p;
  parse({"run", "-s", "-1", "--name", "-x", "img"}, p);
  CHECK(p.signal == "-1");
  CHECK(p.name == "-x");
}

TEST_CASE("the words after the image are the container's, untouched") {
  auto out = [](std::vector<std::string> args) {
    CLI::App app;
    cli::take_last_values(app);
    CLI::App* run = app.add_subcommand("run");
    run->prefix_command();
    bool d = false;
    run->add_flag("-d,--detach", d);
    return cli::normalize_args(app, args);
  };
  CHECK(out({"run", "-d=false", "img", "-d=false", "-s", "-1"}) ==
        std::vector<std::string>{"run", "--detach=false", "img", "-d=false", "-s", "-1"});
  CHECK(out({"run", "--", "-d=false"}) == std::vector<std::string>{"run", "--", "-d=false"});
}

TEST_CASE("every real command takes the last of a repeated option") {
  // ps --format twice and stop -t twice parse as the last one.
  for (const char* word : {"ps", "stop", "images"}) {
    CLI::App app;
    cli::take_last_values(app);
    cli::Globals g;
    cli::register_commands(app, g, word);
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      for (const CLI::Option* o : sub->get_options()) {
        std::string what = std::string(word) + " " + o->get_name();
        if (o->get_expected_max() == 1)
          CHECK_MESSAGE(o->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeLast, what);
      }
  }
}
