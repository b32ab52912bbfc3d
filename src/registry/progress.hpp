#pragma once
// Progress of pulls and pushes on stderr, in podman's words. On a terminal:
// a live line per blob (bytes, total, speed), redrawn at most ten times a
// second. Otherwise: one line per blob when it finishes. Quiet: nothing.
// Safe to call from several download threads.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tug::registry {

class Progress {
 public:
  enum class Mode { quiet, lines, live };
  explicit Progress(bool quiet);
  explicit Progress(Mode m) : mode_(m) {}
  ~Progress();

  // A line of its own ("Trying to pull ...", "Writing manifest ...").
  void message(const std::string& text);
  // A blob transfer "Copying blob 1a2b3c4d5e6f"; returns its handle.
  int add(const std::string& label, int64_t total);
  void update(int id, int64_t done);
  // Ends a transfer with "done" or "skipped: already exists".
  void finish(int id, const std::string& status);

 private:
  struct Bar {
    std::string label;
    int64_t total = 0, done = 0;
    std::string status;  // set when finished
    std::chrono::steady_clock::time_point start;
  };
  void redraw_locked(bool force);
  std::string render(const Bar& b) const;

  Mode mode_;
  std::mutex mu_;
  std::vector<Bar> bars_;
  size_t drawn_ = 0;       // lines of live bars on screen
  size_t first_live_ = 0;  // bars before this were left above a message
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace tug::registry
