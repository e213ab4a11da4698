// The command server's frame codec on arbitrary bytes: decoding a payload
// either throws std::invalid_argument or yields fields that encode back to
// the same payload; a frame read from a socket never reads past its end.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "sky/common/errors.h"
#include "sky/runtime/server/protocol.h"

namespace server = sky::core::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    server::Message message = server::decode_payload(bytes);
    if (server::encode(message).substr(4) != bytes) std::abort();
  } catch (const std::invalid_argument&) {
  }
  // The same bytes as a stream: whatever the length prefix claims.
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) std::abort();
  if (size > 0 && ::write(pair[1], bytes.data(), size) != static_cast<ssize_t>(size)) {
    std::abort();
  }
  ::close(pair[1]);
  try {
    while (server::receive_message(pair[0])) {
    }
  } catch (const std::invalid_argument&) {
  } catch (const sky::core::OsError&) {
  }
  ::close(pair[0]);
  return 0;
}
