// tug login / tug logout: credentials in auth.json, checked against the registry.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace tug::cli {

namespace {

// "https://host/v2/" and "host/" as users paste them -> "host".
std::string registry_key(const std::string& text) {
  std::string k = text;
  for (const char* scheme : {"https://", "http://"})
    if (starts_with(k, scheme)) k = k.substr(std::string(scheme).size());
  while (ends_with(k, "/")) k.pop_back();
  if (ends_with(k, "/v2")) k = k.substr(0, k.size() - 3);
  if (k.empty()) throw Error(Errc::usage, "no registry given");
  return k;
}

std::string prompt(const std::string& text, bool echo) {
  if (!::isatty(0))
    throw Error(Errc::usage, "cannot prompt for " + text + " without a terminal",
                "give --username and --password-stdin");
  std::fputs((text + ": ").c_str(), stderr);
  std::fflush(stderr);
  termios old{};
  bool restore = false;
  if (!echo && ::tcgetattr(0, &old) == 0) {
    termios t = old;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = ::tcsetattr(0, TCSANOW, &t) == 0;
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(0, TCSANOW, &old);
    std::fputs("\n", stderr);
  }
  return line;
}

}  // namespace

void register_login(CLI::App& app, Globals&) {
  struct Flags {
    RegistryFlags reg;
    std::string registry, username, password;
    bool password_stdin = false, get_login = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "login", "Log in to a registry");
  add_registry_flags(c, f->reg, false);
  c->add_option("-u,--username", f->username, "Username");
  c->add_option("-p,--password", f->password, "Password");
  c->add_flag("--password-stdin", f->password_stdin, "Read the password from stdin");
  c->add_flag("--get-login", f->get_login, "Print the user name stored for the registry");
  c->add_option("REGISTRY", f->registry, "Registry (host[:port][/repository])")->required();
  c->callback([f, c] {
    std::string key = registry_key(f->registry);
    registry::Options o = f->reg.options();
    if (f->get_login) {
      auto cred = registry::stored_credentials(key, o);
      if (!cred) throw Error(Errc::not_found, "not logged into " + key);
      out(cred->username);
      return;
    }
    if (f->password_stdin && c->count("--password"))
      throw Error(Errc::usage, "--password and --password-stdin are mutually exclusive");
    if (f->username.empty() && f->password.empty() && !f->password_stdin) {
      if (auto cred = registry::stored_credentials(key, o)) {
        // podman's shortcut: stored credentials that still work need no prompt.
        try {
          registry::login(key, *cred, o);
          out("Authenticating with existing credentials for " + key);
          out("Existing credentials are valid. Already logged in to " + key);
          return;
        } catch (const Error&) {
        }
      }
    }
    registry::Credentials cred;
    cred.username = f->username.empty() ? prompt("Username", true) : f->username;
    if (f->password_stdin) {
      std::string pw, line;
      while (std::getline(std::cin, line)) pw += (pw.empty() ? "" : "\n") + line;
      cred.password = pw;
    } else {
      cred.password = c->count("--password") ? f->password : prompt("Password", false);
    }
    if (cred.username.empty()) throw Error(Errc::usage, "user name is empty");
    if (cred.password.empty()) throw Error(Errc::usage, "password is empty");
    registry::login(key, cred, o);
    out("Login Succeeded!");
  });
}

void register_logout(CLI::App& app, Globals&) {
  struct Flags {
    RegistryFlags reg;
    std::string registry;
    bool all = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* c = add_command(app, "logout", "Log out of a registry");
  c->add_option("--authfile", f->reg.authfile, "Path of the authentication file");
  c->add_flag("-a,--all", f->all, "Remove the credentials of every registry");
  c->add_option("REGISTRY", f->registry, "Registry (host[:port][/repository])");
  c->callback([f] {
    registry::Options o = f->reg.options();
    if (f->all) {
      registry::logout_all(o);
      out("Removed login credentials for all registries");
      return;
    }
    if (f->registry.empty()) throw Error(Errc::usage, "requires a registry, or --all");
    std::string key = registry_key(f->registry);
    if (!registry::logout(key, o)) {
      std::string hint;
      if (registry::stored_credentials(key, o))
        hint =
            "the credentials come from another file (such as ~/.docker/config.json); "
            "tug logout removes only those in " +
            registry::AuthFile(o.authfile).write_path();
      throw Error(Errc::not_found, "not logged into " + key, hint);
    }
    out("Removed login credentials for " + key);
  });
}

}  // namespace tug::cli
