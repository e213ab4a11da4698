#include "sky/runtime/server/protocol.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "sky/common/errors.h"
#include "sky/common/posix.h"

namespace sky::core::server {
namespace {

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}

std::uint32_t read_u32(const char* bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = (value << 8U) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

// Reads exactly `size` bytes; false on end of stream before the first one.
// EINTR is retried only when `retry` is set.
bool read_exactly(int fd, char* out, std::size_t size, bool retry) {
  std::size_t done = 0;
  while (done < size) {
    auto read_some = [&] { return ::read(fd, out + done, size - done); };
    ssize_t n = retry ? retry_on_eintr(read_some) : read_some();
    if (n < 0) throw OsError(errno);
    if (n == 0) {
      if (done == 0) return false;
      throw std::invalid_argument("truncated command server frame");
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string encode(const Message& message) {
  std::string payload(1, message.type);
  for (const std::string& field : message.fields) {
    append_u32(payload, static_cast<std::uint32_t>(field.size()));
    payload += field;
  }
  std::string frame;
  append_u32(frame, static_cast<std::uint32_t>(payload.size()));
  return frame + payload;
}

Message decode_payload(const std::string& payload) {
  if (payload.empty()) throw std::invalid_argument("empty command server frame");
  Message message;
  message.type = payload[0];
  std::size_t at = 1;
  while (at < payload.size()) {
    if (payload.size() - at < 4) throw std::invalid_argument("truncated field length");
    std::uint32_t size = read_u32(payload.data() + at);
    at += 4;
    if (payload.size() - at < size) throw std::invalid_argument("field runs past the frame");
    message.fields.emplace_back(payload, at, size);
    at += size;
  }
  return message;
}

void send_message(int socket_fd, const Message& message, const std::vector<int>& fds) {
  std::string frame = encode(message);
  std::size_t done = 0;
  while (done < frame.size()) {
    iovec io{const_cast<char*>(frame.data() + done), frame.size() - done};
    msghdr header{};
    header.msg_iov = &io;
    header.msg_iovlen = 1;
    std::vector<char> control;
    if (done == 0 && !fds.empty()) {
      control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
      header.msg_control = control.data();
      header.msg_controllen = control.size();
      cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = retry_on_eintr([&] { return ::sendmsg(socket_fd, &header, MSG_NOSIGNAL); });
    if (n < 0) throw OsError(errno);
    done += static_cast<std::size_t>(n);
  }
}

std::optional<Message> receive_message(int socket_fd, bool retry_on_eintr) {
  char length[4];
  if (!read_exactly(socket_fd, length, sizeof length, retry_on_eintr)) return std::nullopt;
  std::uint32_t size = read_u32(length);
  if (size == 0 || size > kMaxPayload) throw std::invalid_argument("bad command server frame");
  std::string payload(size, '\0');
  if (!read_exactly(socket_fd, payload.data(), size, true)) {
    throw std::invalid_argument("truncated command server frame");
  }
  return decode_payload(payload);
}

int connect_unix(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int result = retry_on_eintr(
      [&] { return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address); });
  if (result < 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int connect_unix_at(int directory_fd, const std::string& name) {
  return connect_unix("/proc/self/fd/" + std::to_string(directory_fd) + "/" + name);
}

std::optional<unsigned> peer_uid(int socket_fd) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0 ||
      size != sizeof credentials) {
    return std::nullopt;
  }
  return credentials.uid;
}

SocketDirectory socket_directory(const char* xdg_runtime_dir, unsigned uid) {
  if (xdg_runtime_dir != nullptr && xdg_runtime_dir[0] == '/') {
    // The runtime directory is never made here: a missing one is refused.
    TrustedDirectory runtime = TrustedDirectory::open(xdg_runtime_dir, uid, false);
    std::string path = std::string(xdg_runtime_dir) + "/sky-native";
    if (!runtime.ok()) return {path, std::move(runtime)};
    return {path, TrustedDirectory::open(path, uid, true)};
  }
  std::string path = "/tmp/sky-native-" + std::to_string(uid);
  return {path, TrustedDirectory::open(path, uid, true)};
}

}  // namespace sky::core::server
