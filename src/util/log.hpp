#pragma once
// Diagnostics on stderr. Warnings print once per key per process so a
// degraded mode (no subuid, no delegation) is announced once, not per layer.
#include <string>

namespace tug {

enum class LogLevel { error, warn, info, debug };
void set_log_level(LogLevel l);
LogLevel log_level();
bool parse_log_level(const std::string& s, LogLevel* out);

void log_warn(const std::string& msg);
void log_warn_once(const std::string& key, const std::string& msg);
void log_info(const std::string& msg);
void log_debug(const std::string& msg);

}  // namespace tug
