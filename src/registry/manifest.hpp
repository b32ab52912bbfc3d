#pragma once
// Manifest kinds and platform selection. A registry may answer a tag with an
// image manifest (OCI or Docker schema 2) or with a list of them per
// platform (OCI index, Docker manifest list); schema 1 is refused.
#include <string>
#include <vector>

#include "util/json.hpp"

namespace tug::registry {

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr const char* kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The Accept header value for manifest requests (schema 1 listed last, so a
// registry that only has it says so instead of answering 404).
std::string manifest_accept();

enum class ManifestKind { image, list, schema1 };

// Kind from the Content-Type (parameters dropped) or, when the registry sent
// a generic type, from the document. Error(unsupported) for anything else.
ManifestKind manifest_kind(const std::string& content_type, const json& doc,
                           std::string* media_type = nullptr);

struct Platform {
  std::string os = "linux";
  std::string architecture;
  std::string variant;  // "v8", "v7"; empty = any
  std::string str() const;
};

// "linux/arm64/v8", "linux/amd64", "arm64" (os linux). Error(usage) otherwise.
Platform parse_platform(const std::string& text);
// linux and this machine's architecture (arm64 reports variant v8).
Platform host_platform();

// The entry of an index's "manifests" for want: os and architecture must
// match; a wanted variant must match (arm64 entries without variant count as
// v8); without a wanted variant the entry without one, or the highest, wins.
// nullptr when none fits.
const json* select_platform(const json& manifests, const Platform& want);

// "linux/amd64, linux/arm64/v8" for an error message.
std::string list_platforms(const json& manifests);

}  // namespace tug::registry
