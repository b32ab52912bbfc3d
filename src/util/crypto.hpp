#pragma once
// libcrypto (OpenSSL), loaded on first use (see util/lazy.hpp): call these
// as dl::NAME. Linked in, its method and ASN.1 tables made ~16,700 of the
// 23,000 relocations of a position-independent tug, about 0.4 ms of every
// start; only digests (pull, load, build, push) and registry credentials
// use it.
#include <openssl/evp.h>

#include "util/lazy.hpp"

namespace tug::dl {

const LazyLibrary& libcrypto();

TUG_LAZY_FUNCTION(libcrypto, EVP_MD_CTX_new)
TUG_LAZY_FUNCTION(libcrypto, EVP_MD_CTX_free)
TUG_LAZY_FUNCTION(libcrypto, EVP_sha256)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestInit_ex)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestUpdate)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestFinal_ex)
TUG_LAZY_FUNCTION(libcrypto, EVP_EncodeBlock)
TUG_LAZY_FUNCTION(libcrypto, EVP_DecodeBlock)

}  // namespace tug::dl
