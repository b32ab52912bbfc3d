#include "registry/manifest.hpp"

#include "image/archive.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace tug::registry {

std::string manifest_accept() {
  return std::string("Accept: ") + kOciIndex + ", " + kDockerList + ", " + kOciManifest + ", " +
         kDockerManifest + ", " + kDockerSchema1Signed + ";q=0.5, " + kDockerSchema1 + ";q=0.5";
}

ManifestKind manifest_kind(const std::string& content_type, const json& doc,
                           std::string* media_type) {
  std::string mt = trim(content_type.substr(0, content_type.find(';')));
  if (mt.empty() || mt == "application/json" || mt == "text/plain" ||
      mt == "application/octet-stream")
    mt = json_str(doc, "mediaType");
  if (mt.empty()) {
    // Untyped OCI documents: tell them apart by shape.
    if (doc.is_object() && doc.value("schemaVersion", 0) == 1)
      mt = kDockerSchema1;
    else if (doc.is_object() && doc.contains("manifests"))
      mt = kOciIndex;
    else if (doc.is_object() && doc.contains("config"))
      mt = kOciManifest;
  }
  if (media_type) *media_type = mt;
  if (mt == kOciManifest || mt == kDockerManifest) return ManifestKind::image;
  if (mt == kOciIndex || mt == kDockerList) return ManifestKind::list;
  if (mt == kDockerSchema1 || mt == kDockerSchema1Signed) return ManifestKind::schema1;
  throw Error(Errc::unsupported, "unsupported manifest media type " + quote(mt));
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Platform parse_platform(const std::string& text) {
  auto parts = split(text, '/');
  Platform p;
  auto bad = [&] {
    throw Error(Errc::usage, "invalid platform " + quote(text),
                "use OS/ARCH[/VARIANT], for example linux/arm64/v8");
  };
  for (const auto& s : parts)
    if (s.empty()) bad();
  if (parts.size() == 1) {
    p.architecture = parts[0];
  } else if (parts.size() == 2 || parts.size() == 3) {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  } else {
    bad();
  }
  // Common aliases, as containerd's platforms package normalises them.
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "arm64" && p.variant == "8") p.variant = "v8";
  return p;
}

Platform host_platform() {
  Platform p;
  p.architecture = image::host_architecture();
  return p;
}

const json* select_platform(const json& manifests, const Platform& want) {
  if (!manifests.is_array()) return nullptr;
  const json* best = nullptr;
  std::string best_variant;
  for (const auto& d : manifests) {
    auto pit = d.find("platform");
    if (pit == d.end() || !pit->is_object()) continue;
    if (json_str(*pit, "os") != want.os || json_str(*pit, "architecture") != want.architecture)
      continue;
    std::string v = json_str(*pit, "variant");
    if (want.architecture == "arm64" && v.empty()) v = "v8";
    if (!want.variant.empty()) {
      if (v == want.variant) return &d;
      continue;
    }
    // Without a wanted variant: arm64 means v8; for others the first entry
    // without a variant, else the highest variant listed.
    if (want.architecture == "arm64" && v == "v8") return &d;
    if (!best || (!best_variant.empty() && (v.empty() || v > best_variant))) {
      best = &d;
      best_variant = v;
    }
  }
  return best;
}

std::string list_platforms(const json& manifests) {
  std::vector<std::string> out;
  if (manifests.is_array())
    for (const auto& d : manifests)
      if (auto p = d.find("platform"); p != d.end() && p->is_object()) {
        std::string s = json_str(*p, "os") + "/" + json_str(*p, "architecture");
        if (!json_str(*p, "variant").empty()) s += "/" + json_str(*p, "variant");
        out.push_back(s);
      }
  return out.empty() ? "none" : join(out, ", ");
}

}  // namespace tug::registry
