#pragma once
// libcurl, loaded on first use (see util/lazy.hpp): call these as dl::NAME.
// curl.h makes curl_easy_setopt/getinfo type-checking macros under GCC,
// which would hide the wrappers below.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#undef curl_easy_setopt
#undef curl_easy_getinfo

#include "util/lazy.hpp"

namespace tug::dl {

const LazyLibrary& libcurl();

TUG_LAZY_FUNCTION(libcurl, curl_global_init)
TUG_LAZY_FUNCTION(libcurl, curl_easy_init)
TUG_LAZY_FUNCTION(libcurl, curl_easy_setopt)
TUG_LAZY_FUNCTION(libcurl, curl_easy_getinfo)
TUG_LAZY_FUNCTION(libcurl, curl_easy_perform)
TUG_LAZY_FUNCTION(libcurl, curl_easy_reset)
TUG_LAZY_FUNCTION(libcurl, curl_easy_cleanup)
TUG_LAZY_FUNCTION(libcurl, curl_easy_strerror)
TUG_LAZY_FUNCTION(libcurl, curl_easy_escape)
TUG_LAZY_FUNCTION(libcurl, curl_free)
TUG_LAZY_FUNCTION(libcurl, curl_slist_append)
TUG_LAZY_FUNCTION(libcurl, curl_slist_free_all)

}  // namespace tug::dl
