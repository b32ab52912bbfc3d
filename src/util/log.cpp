#include "util/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <set>

namespace tug {

namespace {
LogLevel g_level = LogLevel::warn;
void emit(const char* tag, const std::string& msg) {
  std::string line = std::string(tag) + msg + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}
}  // namespace

void set_log_level(LogLevel l) {
  g_level = l;
}
LogLevel log_level() {
  return g_level;
}

bool parse_log_level(const std::string& s, LogLevel* out) {
  if (s == "error" || s == "fatal" || s == "panic")
    *out = LogLevel::error;
  else if (s == "warn" || s == "warning")
    *out = LogLevel::warn;
  else if (s == "info")
    *out = LogLevel::info;
  else if (s == "debug" || s == "trace")
    *out = LogLevel::debug;
  else
    return false;
  return true;
}

void log_warn(const std::string& msg) {
  if (g_level >= LogLevel::warn) emit("WARN: ", msg);
}

void log_warn_once(const std::string& key, const std::string& msg) {
  static std::set<std::string> seen;
  if (seen.insert(key).second) log_warn(msg);
}

void log_info(const std::string& msg) {
  if (g_level >= LogLevel::info) emit("INFO: ", msg);
}

void log_debug(const std::string& msg) {
  if (g_level >= LogLevel::debug) emit("DEBUG: ", msg);
}

}  // namespace tug
