// tug-init: a tiny PID 1 for `tug run --init`. It starts the user's command,
// forwards the signals a container receives to it, reaps every zombie that
// the kernel reparents to PID 1, and exits with the command's status.
// Statically linked so it runs in any rootfs; it is bind-mounted read-only.
// `tug-init --pause` is the process of a pod's infra container: it holds
// the pod's namespaces, reaps, and exits 0 at SIGTERM, SIGINT or SIGHUP.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

[[noreturn]] void pause_forever() {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  for (;;) {
    int sig = sigwaitinfo(&all, nullptr);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) _exit(0);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--pause") == 0) pause_forever();
  if (argc < 2) {
    fputs("tug-init: usage: tug-init COMMAND [ARG...]\n", stderr);
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    perror("tug-init: fork");
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    setpgid(0, 0);
    execvp(argv[1], argv + 1);
    int e = errno;
    fprintf(stderr, "tug-init: exec %s: %s\n", argv[1], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      // Forward to the command's process group so shells' children see it too.
      if (kill(-child, sig) != 0) kill(child, sig);
      continue;
    }
    for (;;) {
      int status;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0) break;
      if (p == child) {
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      }
    }
  }
}
