#pragma once
// Image references normalised like docker: "busybox" ->
// docker.io/library/busybox:latest; "localhost:5000/x" keeps its registry;
// "name@sha256:..." carries a digest.
#include <string>

namespace tug::image {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "quay.io"
  std::string repository;  // "library/busybox", "user/app"
  std::string tag;         // "latest" when neither tag nor digest was given
  std::string digest;      // "sha256:..." or empty

  // Fully qualified: "docker.io/library/busybox:latest" (or "...@sha256:...").
  std::string str() const;
  // registry/repository without tag or digest.
  std::string name() const;
};

// Parses and normalises. Throws Error(invalid, exit 125) with podman's wording
// "invalid reference format" and the offending text for malformed input.
Reference parse_reference(const std::string& text);

}  // namespace tug::image
