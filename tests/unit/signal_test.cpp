// Signal names and numbers as kill -s, --stop-signal and STOPSIGNAL take
// them (runtime/spec.hpp: signal_number), with podman's error texts.
#include <doctest/doctest.h>
#include <signal.h>

#include "runtime/spec.hpp"
#include "util/error.hpp"

using namespace tug;

TEST_CASE("signals by name, number, and kill(1)'s dash form") {
  CHECK(runtime::signal_number("TERM") == SIGTERM);
  CHECK(runtime::signal_number("sigkill") == SIGKILL);
  CHECK(runtime::signal_number("15") == 15);
  CHECK(runtime::signal_number("-1") == SIGHUP);
  CHECK(runtime::signal_number("-HUP") == SIGHUP);
  CHECK(runtime::signal_number("64") == 64);
}

TEST_CASE("bad signals are refused with podman's texts") {
  auto text = [](const std::string& s) {
    try {
      runtime::signal_number(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(text("0") == "invalid signal: 0");
  CHECK(text("65") == "valid signals are 1 through 64");
  CHECK(text("99999999999") == "valid signals are 1 through 64");
  CHECK(text("FOO") == "invalid signal: FOO");
}
