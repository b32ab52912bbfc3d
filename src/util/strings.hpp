#pragma once
// Small string and formatting helpers shared by every module.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tug {

std::vector<std::string> split(std::string_view s, char sep);
// Splits at the first sep; second is empty (and found=false) if absent.
std::pair<std::string, std::string> split_once(std::string_view s, char sep, bool* found = nullptr);
// KEY=VALUE items (--label, --opt) as a map; a later key wins, "KEY" alone
// maps to "".
std::map<std::string, std::string> key_values(const std::vector<std::string>& items);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view p);
bool ends_with(std::string_view s, std::string_view p);

// Docker's human sizes: decimal units, 3 significant digits ("4.26MB", "1.2kB").
std::string human_size(int64_t bytes);
// Parses "10", "10k", "1.5m", "2g" (binary multiples, as docker's --memory).
int64_t parse_size(const std::string& s);

// Current time as RFC 3339 with nanoseconds, UTC ("2026-11-24T07:00:00.123456789Z").
std::string now_rfc3339();
// Parses RFC 3339 (with optional fraction and offset) to unix seconds; -1 if bad.
int64_t parse_rfc3339(const std::string& s);
// "3 seconds ago", "2 hours ago", "5 weeks ago" relative to now (docker's style).
std::string human_ago(int64_t unix_seconds);
// "Up 3 minutes", "About an hour" style durations, as docker's status column.
std::string human_duration(int64_t seconds);

// Go's time.ParseDuration ("1m30s", "500ms", "0") to nanoseconds;
// Error(invalid) when malformed.
int64_t parse_go_duration(const std::string& s);

// Appends the UTF-8 encoding of the code point cp (JSON \u escapes, %c).
void append_utf8(std::string& out, uint32_t cp);

// Quotes a string for display the way Go's %q does (for error messages).
std::string quote(std::string_view s);

}  // namespace tug
