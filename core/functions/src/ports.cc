#include "sky/functions/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "sky/common/errors.h"

namespace sky::core {
namespace {

constexpr long long kRangeEnd = 65535;  // exclusive, as range(start, 65535)

// Closes the descriptor on every path out of the loop body.
class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw OsError(errno);
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::optional<int> find_free_port(
    long long start_port, const std::function<void(int port, int error_number)>& on_bind_error,
    const InterruptCheck& check) {
  for (long long port = start_port; port < kRangeEnd; ++port) {
    if (check && port > start_port) check();
    Socket socket;
    if (port < 0) {
      // CPython's address parser rejects it after the socket exists.
      throw std::overflow_error("bind(): port must be 0-65535.");
    }
    sockaddr_in address;
    std::memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = 0;  // INADDR_ANY: 0.0.0.0, like ('', port)
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      return static_cast<int>(port);
    }
    int error_number = errno;
    if (on_bind_error) on_bind_error(static_cast<int>(port), error_number);
  }
  return std::nullopt;
}

}  // namespace sky::core
