#pragma once
// libarchive, loaded on first use (see util/lazy.hpp): call these as dl::NAME.
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <string>

#include "util/error.hpp"
#include "util/lazy.hpp"

namespace tug::dl {

const LazyLibrary& libarchive();

TUG_LAZY_FUNCTION(libarchive, archive_entry_atime)
TUG_LAZY_FUNCTION(libarchive, archive_entry_atime_is_set)
TUG_LAZY_FUNCTION(libarchive, archive_entry_atime_nsec)
TUG_LAZY_FUNCTION(libarchive, archive_entry_copy_stat)
TUG_LAZY_FUNCTION(libarchive, archive_entry_filetype)
TUG_LAZY_FUNCTION(libarchive, archive_entry_free)
TUG_LAZY_FUNCTION(libarchive, archive_entry_gid)
TUG_LAZY_FUNCTION(libarchive, archive_entry_hardlink)
TUG_LAZY_FUNCTION(libarchive, archive_entry_mtime)
TUG_LAZY_FUNCTION(libarchive, archive_entry_mtime_nsec)
TUG_LAZY_FUNCTION(libarchive, archive_entry_new)
TUG_LAZY_FUNCTION(libarchive, archive_entry_pathname)
TUG_LAZY_FUNCTION(libarchive, archive_entry_pathname_utf8)
TUG_LAZY_FUNCTION(libarchive, archive_entry_perm)
TUG_LAZY_FUNCTION(libarchive, archive_entry_rdevmajor)
TUG_LAZY_FUNCTION(libarchive, archive_entry_rdevminor)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_filetype)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_hardlink)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_mtime)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_pathname)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_perm)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_size)
TUG_LAZY_FUNCTION(libarchive, archive_entry_set_symlink)
TUG_LAZY_FUNCTION(libarchive, archive_entry_size)
TUG_LAZY_FUNCTION(libarchive, archive_entry_symlink)
TUG_LAZY_FUNCTION(libarchive, archive_entry_symlink_utf8)
TUG_LAZY_FUNCTION(libarchive, archive_entry_uid)
TUG_LAZY_FUNCTION(libarchive, archive_entry_xattr_add_entry)
TUG_LAZY_FUNCTION(libarchive, archive_entry_xattr_next)
TUG_LAZY_FUNCTION(libarchive, archive_entry_xattr_reset)
TUG_LAZY_FUNCTION(libarchive, archive_errno)
TUG_LAZY_FUNCTION(libarchive, archive_error_string)
TUG_LAZY_FUNCTION(libarchive, archive_filter_code)
TUG_LAZY_FUNCTION(libarchive, archive_read_data)
TUG_LAZY_FUNCTION(libarchive, archive_read_data_block)
TUG_LAZY_FUNCTION(libarchive, archive_read_data_into_fd)
TUG_LAZY_FUNCTION(libarchive, archive_read_free)
TUG_LAZY_FUNCTION(libarchive, archive_read_new)
TUG_LAZY_FUNCTION(libarchive, archive_read_next_header)
TUG_LAZY_FUNCTION(libarchive, archive_read_open)
TUG_LAZY_FUNCTION(libarchive, archive_read_open_fd)
TUG_LAZY_FUNCTION(libarchive, archive_read_support_filter_all)
TUG_LAZY_FUNCTION(libarchive, archive_read_support_format_gnutar)
TUG_LAZY_FUNCTION(libarchive, archive_read_support_format_raw)
TUG_LAZY_FUNCTION(libarchive, archive_read_support_format_tar)
TUG_LAZY_FUNCTION(libarchive, archive_set_error)
TUG_LAZY_FUNCTION(libarchive, archive_write_close)
TUG_LAZY_FUNCTION(libarchive, archive_write_data)
TUG_LAZY_FUNCTION(libarchive, archive_write_data_block)
TUG_LAZY_FUNCTION(libarchive, archive_write_disk_new)
TUG_LAZY_FUNCTION(libarchive, archive_write_disk_set_options)
TUG_LAZY_FUNCTION(libarchive, archive_write_finish_entry)
TUG_LAZY_FUNCTION(libarchive, archive_write_free)
TUG_LAZY_FUNCTION(libarchive, archive_write_header)
TUG_LAZY_FUNCTION(libarchive, archive_write_new)
TUG_LAZY_FUNCTION(libarchive, archive_write_open_fd)
TUG_LAZY_FUNCTION(libarchive, archive_write_set_bytes_in_last_block)
TUG_LAZY_FUNCTION(libarchive, archive_write_set_format_pax_restricted)

// A failure of libarchive's that is the filesystem's (a full disk, a
// quota) is thrown as such, "WHAT: no space left on device", instead of
// libarchive's own "Write error"; other failures are left to the caller.
inline void throw_if_out_of_space(archive* a, const std::string& what) {
  int e = dl::archive_errno(a);  // qualified: ADL would pick the real symbol
  if (e == ENOSPC || e == EDQUOT) throw_errno(what, e);
}

}  // namespace tug::dl
