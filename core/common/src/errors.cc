#include "sky/common/errors.h"

#include <cerrno>
#include <cstring>

namespace sky::core {
namespace {

std::string describe(int error_number) {
  return "[Errno " + std::to_string(error_number) + "] " + std::strerror(error_number);
}

}  // namespace

OsError::OsError(int error_number, std::string path)
    : std::runtime_error(describe(error_number) + ": '" + path + "'"),
      error_number_(error_number),
      path_(std::move(path)),
      has_path_(true) {}

OsError::OsError(int error_number)
    : std::runtime_error(describe(error_number)), error_number_(error_number), has_path_(false) {}

NotSeekable::NotSeekable() : std::runtime_error("File or stream is not seekable.") {}

void throw_os_error(const std::string& path) { throw OsError(errno, path); }

}  // namespace sky::core
