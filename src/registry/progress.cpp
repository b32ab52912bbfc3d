#include "registry/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "util/strings.hpp"

namespace tug::registry {

namespace {

void put(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

Progress::Progress(bool quiet)
    : mode_(quiet ? Mode::quiet : (::isatty(2) ? Mode::live : Mode::lines)) {}

Progress::~Progress() {
  std::lock_guard<std::mutex> l(mu_);
  if (mode_ == Mode::live && drawn_ > 0) redraw_locked(true);
}

void Progress::message(const std::string& text) {
  std::lock_guard<std::mutex> l(mu_);
  if (mode_ == Mode::quiet) return;
  if (mode_ == Mode::live && drawn_ > 0) {
    // The bars so far are final: draw them once more and leave them above.
    redraw_locked(true);
    first_live_ = bars_.size();
    drawn_ = 0;
  }
  put(text + "\n");
}

int Progress::add(const std::string& label, int64_t total) {
  std::lock_guard<std::mutex> l(mu_);
  Bar b;
  b.label = label;
  b.total = total;
  b.start = std::chrono::steady_clock::now();
  bars_.push_back(b);
  if (mode_ == Mode::live) redraw_locked(true);
  return static_cast<int>(bars_.size() - 1);
}

void Progress::update(int id, int64_t done) {
  std::lock_guard<std::mutex> l(mu_);
  bars_.at(static_cast<size_t>(id)).done = done;
  if (mode_ == Mode::live) redraw_locked(false);
}

void Progress::finish(int id, const std::string& status) {
  std::lock_guard<std::mutex> l(mu_);
  Bar& b = bars_.at(static_cast<size_t>(id));
  b.status = status;
  if (b.total > 0 && status == "done") b.done = b.total;
  if (mode_ == Mode::lines) put(b.label + " " + status + "\n");
  if (mode_ == Mode::live) redraw_locked(true);
}

std::string Progress::render(const Bar& b) const {
  if (!b.status.empty()) {
    if (b.status == "done" && b.total > 0) return b.label + " done   | " + human_size(b.total);
    return b.label + " " + b.status;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - b.start).count();
  std::string speed = secs > 0.2 ? human_size(static_cast<int64_t>(b.done / secs)) + "/s" : "";
  std::string bar;
  if (b.total > 0) {
    int width = 20;
    int fill = static_cast<int>(width * std::min<double>(1.0, double(b.done) / double(b.total)));
    bar = "[" + std::string(static_cast<size_t>(fill), '=') +
          std::string(static_cast<size_t>(width - fill), '-') + "] ";
  }
  std::string sizes = human_size(b.done) + (b.total > 0 ? " / " + human_size(b.total) : "");
  return b.label + " " + bar + sizes + (speed.empty() ? "" : " | " + speed);
}

void Progress::redraw_locked(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string s;
  if (drawn_ > 0) s += "\x1b[" + std::to_string(drawn_) + "A";
  for (size_t i = first_live_; i < bars_.size(); ++i) s += "\r\x1b[2K" + render(bars_[i]) + "\n";
  drawn_ = bars_.size() - first_live_;
  put(s);
}

}  // namespace tug::registry
