// runtime::StdioRelay between pipes standing for the caller's fds and a
// process's pipes: EOF both ways, stream separation, a reader that goes
// away, the drain after exit, and the copy path where splice cannot serve.
#include "runtime/relay.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>

#include <string>
#include <vector>

#include "util/fd.hpp"

using namespace tug;
using runtime::StdioRelay;

namespace {

void nonblock(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// One round of the relay's poll loop (10 ms at most).
void turn(StdioRelay& r) {
  std::vector<struct pollfd> fds;
  size_t first = r.add_poll_fds(fds);
  ::poll(fds.data(), fds.size(), 10);
  r.handle(fds, first);
}

// Reads what fd holds now (non-blocking) onto out; false at EOF.
bool take(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    return n != 0;
  }
}

struct SigpipeIgnored {
  SigpipeIgnored() { old = ::signal(SIGPIPE, SIG_IGN); }
  ~SigpipeIgnored() { ::signal(SIGPIPE, old); }
  sighandler_t old;
};

}  // namespace

TEST_CASE("relay: stdin to the process with its EOF, stdout and stderr kept apart") {
  Pipe caller_in = Pipe::make(), caller_out = Pipe::make(), caller_err = Pipe::make();
  Pipe proc_in = Pipe::make(), proc_out = Pipe::make(), proc_err = Pipe::make();
  StdioRelay r = StdioRelay::pipes(std::move(proc_in.write), std::move(proc_out.read),
                                   std::move(proc_err.read), caller_in.read.get(),
                                   caller_out.write.get(), caller_err.write.get());
  nonblock(proc_in.read.get());
  nonblock(caller_out.read.get());
  nonblock(caller_err.read.get());

  write_all(caller_in.write.get(), "hello", 5);
  caller_in.write.reset();  // the caller's EOF
  write_all(proc_out.write.get(), "out", 3);
  write_all(proc_err.write.get(), "err", 3);
  std::string in, out, err;
  bool in_open = true;
  for (int i = 0; i < 50 && (in_open || out.size() < 3 || err.size() < 3); ++i) {
    turn(r);
    in_open = take(proc_in.read.get(), in);
    take(caller_out.read.get(), out);
    take(caller_err.read.get(), err);
  }
  CHECK(in == "hello");
  CHECK_FALSE(in_open);  // the process sees EOF
  CHECK(out == "out");
  CHECK(err == "err");
  CHECK(r.output_open());
  proc_out.write.reset();
  proc_err.write.reset();
  for (int i = 0; i < 50 && r.output_open(); ++i) turn(r);
  CHECK_FALSE(r.output_open());
}

TEST_CASE("relay: a reader that goes away closes the process's stream (EPIPE)") {
  SigpipeIgnored ign;
  Pipe caller_out = Pipe::make(), proc_out = Pipe::make();
  StdioRelay r = StdioRelay::pipes(UniqueFd(), std::move(proc_out.read), UniqueFd(), -1,
                                   caller_out.write.get());
  caller_out.read.reset();  // `| head -1` has exited
  write_all(proc_out.write.get(), "y\n", 2);
  for (int i = 0; i < 50 && r.output_open(); ++i) turn(r);
  CHECK_FALSE(r.output_open());
  errno = 0;
  CHECK(::write(proc_out.write.get(), "y\n", 2) == -1);
  CHECK(errno == EPIPE);
}

TEST_CASE("relay: finish() copies what the process left, without waiting for more") {
  Pipe caller_out = Pipe::make(), proc_out = Pipe::make();
  StdioRelay r = StdioRelay::pipes(UniqueFd(), std::move(proc_out.read), UniqueFd(), -1,
                                   caller_out.write.get());
  std::string big(40000, 'x');
  write_all(proc_out.write.get(), big.data(), big.size());
  // proc_out.write stays open: a daemonised grandchild still holds it.
  r.finish();
  CHECK_FALSE(r.output_open());
  nonblock(caller_out.read.get());
  std::string got;
  take(caller_out.read.get(), got);
  CHECK(got == big);
}

TEST_CASE("relay: an O_APPEND file as the caller's stdout (no splice) gets every byte") {
  char path[] = "/tmp/tug-relay-test-XXXXXX";
  UniqueFd tmp(::mkstemp(path));
  REQUIRE(tmp);
  ::unlink(path);
  UniqueFd file(::open(("/proc/self/fd/" + std::to_string(tmp.get())).c_str(),
                       O_WRONLY | O_APPEND | O_CLOEXEC));
  REQUIRE(file);
  write_all(file.get(), "first\n", 6);
  Pipe proc_out = Pipe::make();
  StdioRelay r =
      StdioRelay::pipes(UniqueFd(), std::move(proc_out.read), UniqueFd(), -1, file.get());
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>('a' + i % 26);
  nonblock(proc_out.write.get());
  size_t sent = 0;
  for (int i = 0; i < 1000 && r.output_open(); ++i) {
    if (sent < data.size()) {
      ssize_t n = ::write(proc_out.write.get(), data.data() + sent, data.size() - sent);
      if (n > 0) sent += static_cast<size_t>(n);
      if (sent == data.size()) proc_out.write.reset();
    }
    turn(r);
  }
  CHECK_FALSE(r.output_open());
  std::string all(6 + data.size() + 10, '\0');
  ssize_t n = ::pread(tmp.get(), all.data(), all.size(), 0);
  REQUIRE(n == static_cast<ssize_t>(6 + data.size()));
  all.resize(static_cast<size_t>(n));
  CHECK(all == "first\n" + data);
}
