#pragma once
// libgpgme (GnuPG Made Easy), loaded on first use (see util/lazy.hpp): call
// these as dl::NAME. Only image trust uses it: checking simple-signing
// signatures under a signedBy policy and `push --sign-by`.
#include <gpgme.h>

#include "util/lazy.hpp"

namespace tug::dl {

const LazyLibrary& libgpgme();

// gpgme_check_version is a macro over this one.
TUG_LAZY_FUNCTION(libgpgme, gpgme_check_version_internal)
TUG_LAZY_FUNCTION(libgpgme, gpgme_new)
TUG_LAZY_FUNCTION(libgpgme, gpgme_release)
TUG_LAZY_FUNCTION(libgpgme, gpgme_set_protocol)
TUG_LAZY_FUNCTION(libgpgme, gpgme_ctx_set_engine_info)
TUG_LAZY_FUNCTION(libgpgme, gpgme_set_armor)
TUG_LAZY_FUNCTION(libgpgme, gpgme_set_pinentry_mode)
TUG_LAZY_FUNCTION(libgpgme, gpgme_set_passphrase_cb)
TUG_LAZY_FUNCTION(libgpgme, gpgme_data_new)
TUG_LAZY_FUNCTION(libgpgme, gpgme_data_new_from_mem)
TUG_LAZY_FUNCTION(libgpgme, gpgme_data_release)
TUG_LAZY_FUNCTION(libgpgme, gpgme_data_release_and_get_mem)
TUG_LAZY_FUNCTION(libgpgme, gpgme_free)
TUG_LAZY_FUNCTION(libgpgme, gpgme_op_import)
TUG_LAZY_FUNCTION(libgpgme, gpgme_op_import_result)
TUG_LAZY_FUNCTION(libgpgme, gpgme_op_verify)
TUG_LAZY_FUNCTION(libgpgme, gpgme_op_verify_result)
TUG_LAZY_FUNCTION(libgpgme, gpgme_op_sign)
TUG_LAZY_FUNCTION(libgpgme, gpgme_get_key)
TUG_LAZY_FUNCTION(libgpgme, gpgme_key_unref)
TUG_LAZY_FUNCTION(libgpgme, gpgme_signers_add)
TUG_LAZY_FUNCTION(libgpgme, gpgme_strerror)

}  // namespace tug::dl
