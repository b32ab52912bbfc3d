#include "util/json.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"

namespace tug {

json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(Errc::invalid, "parsing " + what + ": " + e.what());
  }
}

json read_json(const std::string& path) {
  return parse_json(read_file(path), path);
}

std::optional<json> read_json_if_exists(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  return parse_json(*text, path);
}

std::optional<json> read_store_record(const std::string& path) {
  auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  try {
    return json::parse(*text);
  } catch (const json::exception& e) {
    throw Error(Errc::corrupt, "the record " + path + " is damaged: " + e.what(),
                "`tug system check --repair` removes or rewrites it");
  }
}

void write_json_atomic(const std::string& path, const json& j, int mode, bool durable) {
  atomic_write(path, j.dump(), static_cast<mode_t>(mode), durable);
}

std::string json_str(const json& j, const char* key, const std::string& def) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return def;
  return it->get<std::string>();
}

}  // namespace tug
