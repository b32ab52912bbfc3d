#pragma once
// Helpers for the image tests: tarballs built entry by entry with
// libarchive's writer (so tests can craft hostile archives), and a user
// namespace mapping that works for root and for ordinary users alike.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "userns/userns.hpp"
#include "util/error.hpp"

namespace tug::test {

struct TarEntry {
  std::string path;
  char type = 'f';   // f file, d dir, l symlink, h hardlink, c char device
  std::string data;  // file content, or link target
  int mode = 0644;
};

// Writes a tar (compression: "", "gzip" or "zstd") to path.
inline void write_test_tar(const std::string& path, const std::vector<TarEntry>& entries,
                           const std::string& compression = "") {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == "gzip") archive_write_add_filter_gzip(a);
  if (compression == "zstd") archive_write_add_filter_zstd(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK)
    throw Error(Errc::io, "cannot write test tar " + path);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    // Directories need x to be traversed by a non-root test run.
    int mode = t.type == 'd' && t.mode == 0644 ? 0755 : t.mode;
    archive_entry_set_perm(e, static_cast<mode_t>(mode));
    archive_entry_set_mtime(e, 1000000000, 0);
    switch (t.type) {
      case 'd':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case 'l':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.data.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.data.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(e, AE_IFCHR);
        break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
    }
    archive_write_header(a, e);
    if (t.type == 'f' && !t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// Only our own ids: works unprivileged and as root.
inline userns::Mapping single_mapping() {
  userns::Mapping m;
  m.single = true;
  m.single_reason = "unit test";
  m.uids = {{0, static_cast<uint32_t>(::getuid()), 1}};
  m.gids = {{0, static_cast<uint32_t>(::getgid()), 1}};
  return m;
}

}  // namespace tug::test
