#pragma once
// JSON records on disk (nlohmann/json).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tug {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Parses text; a syntax error becomes Error(invalid) naming `what`.
json parse_json(const std::string& text, const std::string& what);
json read_json(const std::string& path);
std::optional<json> read_json_if_exists(const std::string& path);
// As read_json_if_exists, for a record of the store (a volume's, a
// network's, a pod's): one that does not parse is an Error(corrupt) saying
// it is damaged, with the hint that `tug system check --repair` repairs it.
std::optional<json> read_store_record(const std::string& path);
void write_json_atomic(const std::string& path, const json& j, int mode = 0644,
                       bool durable = true);

// j[key] as string, or def when absent or not a string.
std::string json_str(const json& j, const char* key, const std::string& def = {});

}  // namespace tug
