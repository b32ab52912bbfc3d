#pragma once
// libcrypto (OpenSSL), loaded on first use (see util/lazy.hpp): call these
// as dl::NAME. Linked in, its method and ASN.1 tables made ~16,700 of the
// 23,000 relocations of a position-independent tug, about 0.4 ms of every
// start; only digests (pull, load, build, push) and registry credentials
// use it.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

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
// Public-key signatures (image trust: sigstore keys).
TUG_LAZY_FUNCTION(libcrypto, BIO_new_mem_buf)
TUG_LAZY_FUNCTION(libcrypto, BIO_free)
TUG_LAZY_FUNCTION(libcrypto, PEM_read_bio_PUBKEY)
TUG_LAZY_FUNCTION(libcrypto, PEM_read_bio_PrivateKey)
TUG_LAZY_FUNCTION(libcrypto, EVP_PKEY_free)
TUG_LAZY_FUNCTION(libcrypto, EVP_PKEY_get_base_id)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestVerifyInit)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestVerify)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestSignInit)
TUG_LAZY_FUNCTION(libcrypto, EVP_DigestSign)
TUG_LAZY_FUNCTION(libcrypto, ERR_get_error)
TUG_LAZY_FUNCTION(libcrypto, ERR_error_string_n)

}  // namespace tug::dl
