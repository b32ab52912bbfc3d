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
  // The text named no registry ("busybox", "user/app"): local lookups may
  // then match the repository under any registry, as podman's short names do.
  bool short_name = false;

  // Fully qualified: "docker.io/library/busybox:latest" (or "...@sha256:...").
  std::string str() const;
  // registry/repository without tag or digest.
  std::string name() const;
};

// Parses and normalises. Throws Error(invalid, exit 125) with podman's wording
// "invalid reference format" and the offending text for malformed input.
// Rules (docker's distribution/reference grammar): the first path component
// is a registry when it contains '.' or ':' or is "localhost"; repository
// components are lowercase [a-z0-9] joined by '.', '_', '__' or dashes; tags
// are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests are "sha256:<64 hex>".
Reference parse_reference(const std::string& text);

// As parse_reference, for a name the user gives an image made locally (tag,
// build -t, commit, import): a short name belongs to no registry, so it goes
// under "localhost" as podman stores it ("app" -> localhost/app:latest,
// "team/app" -> localhost/team/app:latest). A name with a registry keeps it.
Reference parse_local_reference(const std::string& text);

}  // namespace tug::image
