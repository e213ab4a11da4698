// The command server's wire format, shared by the C++ client (launcher) and
// the Python server (modules/python/server.py mirrors it).
//
// A frame is a little-endian u32 payload length, then the payload: one type
// byte and zero or more fields, each a little-endian u32 length and its
// bytes. Over a Unix stream socket; a request frame carries the client's
// stdin, stdout and stderr as SCM_RIGHTS with its first byte.
//
// Client -> server:  'R' key, cwd, umask (octal), resource limits, nice value,
//                    argc, argv..., env...  (+4 fds: stdio, the cwd)
//                    'S' (status)   'Q' (stop)
// Server -> client:  'M' reason, respawn ("1": start a fresh server)
//                    'P' pid (the command's process; its process group too)
//                    'X' exit code   'K' signal number   'I' status text
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sky/runtime/trusted_directory.h"

namespace sky::core::server {

/// One decoded frame.
struct Message {
  char type = 0;
  std::vector<std::string> fields;
};

/// The largest payload either side accepts (a request holds the whole
/// environment).
inline constexpr std::uint32_t kMaxPayload = 16U << 20U;

/// The bytes of one frame.
std::string encode(const Message& message);

/// Decodes one payload (the bytes after the length). std::invalid_argument
/// when it is empty or a field runs past its end.
Message decode_payload(const std::string& payload);

/// Sends one frame on a connected socket, with `fds` attached (SCM_RIGHTS)
/// when not empty. Retries on EINTR; throws OsError on failure.
void send_message(int socket_fd, const Message& message, const std::vector<int>& fds = {});

/// Reads one frame. std::nullopt on a clean end of stream before its first
/// byte; OsError on errors, std::invalid_argument on a malformed or
/// truncated frame. EINTR is returned to the caller as OsError(EINTR) only
/// when `retry_on_eintr` is false (so the caller can act on signals).
std::optional<Message> receive_message(int socket_fd, bool retry_on_eintr = true);

/// Connects to the Unix socket at `path`; -1 with errno set when it cannot.
int connect_unix(const std::string& path);

/// Connects to the socket `name` inside the directory open as
/// `directory_fd` (through /proc/self/fd, so the path is never looked up
/// again from "/"); -1 with errno set when it cannot.
int connect_unix_at(int directory_fd, const std::string& name);

/// The uid of the process at the other end of a connected Unix socket
/// (SO_PEERCRED: who listened, for a client); nullopt when unknown.
std::optional<unsigned> peer_uid(int socket_fd);

/// The directory of this user's sockets, locks and logs.
struct SocketDirectory {
  std::string path;
  TrustedDirectory directory;
};

/// $XDG_RUNTIME_DIR/sky-native when XDG_RUNTIME_DIR is set (an absolute
/// path), else /tmp/sky-native-UID, made 0700 when missing. The runtime
/// directory and the socket directory must both pass the rule of
/// trusted_directory.h for `uid`; else `directory.ok()` is false and its
/// reason names the level at fault.
SocketDirectory socket_directory(const char* xdg_runtime_dir, unsigned uid);

}  // namespace sky::core::server
