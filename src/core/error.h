// The one error type of clipforge. Library code throws it; only the CLI catches it and turns
// its kind into an exit code, so a user always sees one line and a distinct status.
#pragma once

#include <stdexcept>
#include <string>

namespace clipforge {

enum class ErrorKind {
  kUsage = 2,       // bad command line or configuration value
  kInput = 3,       // a file that cannot be read or parsed: weights, configs, vocabularies, data
  kMismatch = 4,    // well-formed input that does not fit: wrong keys, shapes, dtypes
  kRuntime = 5,     // failures while running: I/O errors on write, numerical guards
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

// Shorthands that read well at the throw site: `throw input_error(path + ": header is not JSON")`.
Error usage_error(const std::string& message);
Error input_error(const std::string& message);
Error mismatch_error(const std::string& message);
Error runtime_error(const std::string& message);

}  // namespace clipforge
