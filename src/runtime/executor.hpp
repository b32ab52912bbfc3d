#pragma once
// Carries out a Plan: clones the container's first process into new
// namespaces, writes its id mapping from outside, lets it set up its mounts
// and exec the user's command. Parent and child speak in typed messages over
// pipes; a failure in the child arrives here as a precise Error (exit code
// 127 when the command is not found, 126 when it cannot be invoked, 125 for
// setup failures).
#include <sys/types.h>

#include <functional>

#include "runtime/plan.hpp"
#include "runtime/relay.hpp"
#include "userns/userns.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

namespace tug::runtime {

// The running container's first process (PID 1 inside), owned by the caller.
struct Started {
  Child process;
  UniqueFd terminal;  // pty master when Plan::tty
  // exec_in without a terminal: tug's ends of the command's stdio pipes
  // (in: the write end, with Plan::stdin_open; out, err: the read ends).
  UniqueFd in, out, err;
  uint64_t start_time = 0;  // /proc/<pid>/stat starttime, to detect pid reuse
  // The squashfuse serving a squashfs rootfs (RootfsPlan::squashfs): our
  // child, in none of the container's namespaces, with SIGKILL as its
  // parent-death signal.
  Child squashfuse;
};

// File descriptors the container gets as stdin, stdout and stderr; -1 keeps
// the caller's (foreground) or, for stdin without stdin_open, /dev/null.
struct Stdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// Starts the container and returns once the user's command has been exec'd.
// With Plan::tty the process gets a terminal of the container's own devpts
// as controlling terminal and stdio, and Started::terminal is its master.
// The child gets SIGKILL if the calling thread dies (foreground mode).
// With Plan::await_network, `network` is called with the child's pid once
// its namespaces exist and are mapped (while it mounts its rootfs), and the
// child execs only after it returned; an exception from it takes the child
// down and propagates. With Plan::join_netns the child enters that network
// namespace and the user namespace owning it (mapping is not used).
Started start(const Plan& plan, const userns::Mapping& mapping, const Stdio& stdio = {},
              const std::function<void(pid_t)>& network = {});

// Runs plan's process (args, env, cwd, user, capabilities, tty,
// stdin_open) inside the namespaces and root of the running container whose
// first process is pid, as `exec` does. Started::process is a helper that
// relays the command's exit status and the signals it receives. The
// command never gets the caller's own fds, nor its controlling terminal (it
// runs in a session of its own): its stdio are stdio's fds where given,
// else pipes whose other ends come back in Started::in/out/err (stdin only
// with stdin_open, /dev/null otherwise), or with Plan::tty a terminal whose
// master comes back in Started::terminal. With detach the helper is left
// running with every stdio on /dev/null.
Started exec_in(pid_t pid, const Plan& plan, bool detach, const Stdio& stdio = {});

// Relays a started exec's stdio to the caller's fds 0, 1 and 2: its
// terminal (stdin too when stdin_open) or its pipes.
StdioRelay relay_of(Started& s, bool stdin_open);

// Waits for the process to exit, forwarding SIGINT/SIGTERM/SIGHUP/SIGQUIT/
// SIGUSR1/SIGUSR2 received meanwhile to it, and returns its exit code
// (128+N when killed by signal N). With a relay, its streams are served
// meanwhile (with a terminal: the CLI's terminal raw while stdin is
// relayed, its size kept in step on SIGWINCH), what the process left in its
// pipes is copied after its exit, and a caller's reader that goes away
// closes the process's stream (it gets EPIPE, not tug a SIGPIPE).
int wait_forwarding_signals(Child& process, StdioRelay* relay = nullptr);

// starttime field of /proc/<pid>/stat (clock ticks since boot); 0 if gone
// or a zombie.
uint64_t process_start_time(pid_t pid);

}  // namespace tug::runtime
