#pragma once
// Relays a process's stdio between the caller's own file descriptors and
// pipes (or a terminal) that tug owns, so that the process never holds the
// caller's files: a container that reopened its stdout through
// /proc/self/fd/1 would otherwise truncate the caller's file on the host,
// and one holding the caller's terminal could push keystrokes into it.
//
// Every direction is a Pump from one fd to another, driven by the caller's
// poll loop (no thread, no busy loop). Bytes go by splice() when the kernel
// can move them without a copy (a pipe on either side, SPLICE_F_NONBLOCK),
// else through a buffer. tug's own ends are non-blocking, so a process that
// does not read its stdin never stalls its output; the caller's ends are
// left as they are (they are shared with the caller's shell).
#include <poll.h>

#include <array>
#include <vector>

#include "util/fd.hpp"

namespace tug::runtime {

class Pump {
 public:
  // Which end belongs to tug (and is closed when the pump ends): for the
  // process's input the destination (its EOF is the process's EOF), for
  // its output the source (closing it hands a gone reader's EPIPE on to the
  // process, as if it had written to that reader itself).
  enum class Owned { none, from, to };
  Pump() = default;
  Pump(int from, int to, UniqueFd owned, Owned which);
  Pump(Pump&&) = default;
  Pump& operator=(Pump&&) = default;

  // The poll entry this pump waits on now ({-1} once it has ended).
  struct pollfd want() const;
  // Moves bytes after poll reported revents on want().fd.
  void step(short revents);
  // Moves what the source holds right now and no more (after the process
  // exited: a daemonised grandchild still writing cannot keep us), waiting
  // for the destination if it must.
  void drain();
  bool done() const { return from_ < 0; }
  // Ends the pump and closes tug's end.
  void end();

 private:
  // Moves up to max bytes once; returns how many left the source, or -1
  // once the pump ended.
  long transfer(size_t max);
  // Writes the buffered bytes; false once the pump ended.
  bool flush();

  int from_ = -1, to_ = -1;
  UniqueFd owned_;
  Owned which_ = Owned::none;
  bool use_splice_ = true;
  bool wait_out_ = false;  // the destination is full: wait for POLLOUT
  std::vector<char> buf_;  // without splice: bytes read, not yet written
  size_t off_ = 0, len_ = 0;
};

// The three streams of one process. in/out/err are tug's ends of the
// process's pipes (-1 where there is none), terminal a pty master that
// serves as both input and output.
class StdioRelay {
 public:
  StdioRelay() = default;
  // caller_*: the caller's fds (normally 0, 1, 2).
  static StdioRelay pipes(UniqueFd in, UniqueFd out, UniqueFd err, int caller_in = 0,
                          int caller_out = 1, int caller_err = 2);
  // relay_input: the caller's stdin goes to the terminal too (-i).
  static StdioRelay terminal(UniqueFd master, bool relay_input, int caller_in = 0,
                             int caller_out = 1);

  int terminal_fd() const { return terminal_.get(); }
  bool relays_input() const { return !pumps_[0].done(); }
  // Appends three entries (stdin, stdout, stderr; fd -1 for those that
  // ended) and returns the index of the first; handle() takes it back.
  size_t add_poll_fds(std::vector<struct pollfd>& fds) const;
  void handle(const std::vector<struct pollfd>& fds, size_t first);
  // The process exited: its input goes, its output is drained.
  void finish();
  // True while a stream the process writes is still open.
  bool output_open() const;

 private:
  UniqueFd terminal_;
  std::array<Pump, 3> pumps_;  // stdin, stdout, stderr
};

}  // namespace tug::runtime
