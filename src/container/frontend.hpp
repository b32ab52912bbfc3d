#pragma once
// What both front ends (cli/ and api/) decide the same way around the
// lifecycle operations of lifecycle.hpp.
#include "config/paths.hpp"
#include "container/lifecycle.hpp"

namespace tug::container {

// How run, start, compose and the API's start start rec, attached or not.
// A detached --rm container is removed by its monitor at exit (`tug rm -f
// -v ID` on this store); after an attached session the caller removes it.
StartOptions start_options(const Paths& paths, const Record& rec, bool attach);

// exec's two halves for a front end that relays the command's stdio itself
// (the API; `tug exec` is exec()): exec_start() and its exec_start event,
// then, once the caller waited for it, the exec_die event with its code.
runtime::Started exec_begin(Store& store, const Record& r, const ExecOptions& opts,
                            const runtime::Stdio& stdio = {});
void exec_ended(Store& store, const Record& r, int code);

}  // namespace tug::container
