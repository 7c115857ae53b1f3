#include "core/error.h"

namespace clipforge {

Error usage_error(const std::string& message) { return Error(ErrorKind::kUsage, message); }
Error input_error(const std::string& message) { return Error(ErrorKind::kInput, message); }
Error mismatch_error(const std::string& message) { return Error(ErrorKind::kMismatch, message); }
Error runtime_error(const std::string& message) { return Error(ErrorKind::kRuntime, message); }

}  // namespace clipforge
