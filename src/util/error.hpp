#pragma once
// The one exception type of tug. It carries an error class, the process exit
// code the CLI should return, a chain of context ("loading x.tar: layer 3:
// digest mismatch") and an optional hint for the user. main() catches it once.
#include <cerrno>
#include <stdexcept>
#include <string>

namespace tug {

enum class Errc {
  generic,
  usage,        // bad flags or arguments
  not_found,    // no such image, container, file
  exists,       // name already in use
  invalid,      // malformed input (reference, JSON, archive entry)
  corrupt,      // digest mismatch, truncated archive
  io,           // syscall failure
  permission,   // kernel or host refuses
  unsupported,  // feature or format tug does not handle
  in_use,       // object is referenced by another
};

// Docker's exit codes for the tool itself.
inline constexpr int kExitToolError = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& msg, std::string hint = {}, int exit_code = kExitToolError)
      : std::runtime_error(msg),
        code_(code),
        exit_code_(exit_code),
        hint_(std::move(hint)),
        message_(msg) {}

  Errc code() const { return code_; }
  int exit_code() const { return exit_code_; }
  const std::string& hint() const { return hint_; }
  const char* what() const noexcept override { return message_.c_str(); }

  // Prepends "ctx: " to the message; returns *this so it can be rethrown.
  Error& add_context(const std::string& ctx) {
    message_ = ctx + ": " + message_;
    return *this;
  }
  Error& set_hint(std::string hint) {
    hint_ = std::move(hint);
    return *this;
  }

 private:
  Errc code_;
  int exit_code_;
  std::string hint_;
  std::string message_;
};

// Throws Error(io or a class derived from err) with "what: strerror(err)".
[[noreturn]] void throw_errno(const std::string& what, int err = errno);

// Runs f(); an Error escaping it gets ctx prepended.
template <class F>
auto with_context(const std::string& ctx, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (Error& e) {
    e.add_context(ctx);
    throw;
  }
}

}  // namespace tug
