// The command server's wire format, shared by the C++ client (launcher) and
// the Python server (modules/python/server_protocol.py holds the same
// vocabulary; tests/launcher/server_vocabulary_test.cc checks the two
// against each other). docs/command-server.md describes the protocol.
//
// A frame is a little-endian u32 payload length, then the payload: one kind
// byte (MessageKind) and zero or more fields, each a little-endian u32
// length and its bytes. Over a Unix stream socket; a request frame carries
// the client's stdin, stdout and stderr and its working directory as
// SCM_RIGHTS with its first byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sky/runtime/trusted_directory.h"

namespace sky::core::server {

/// What a frame says: its first payload byte. A received frame may hold any
/// byte there; each side answers only the kinds it knows.
enum class MessageKind : char {
  // Client -> server.
  kRequest = 'R',  // run a command: the fields of RequestField (+ kRequestDescriptors fds)
  kStatus = 'S',   // describe yourself (answered with kInfo)
  kStop = 'Q',     // stop taking commands (answered with kInfo)
  // Server -> client.
  kMismatch = 'M',  // not taken, run it cold: reason, respawn ("1": start a fresh server)
  kStarted = 'P',   // taken: the command's pid (its process group too)
  kExited = 'X',    // the command's exit code
  kKilled = 'K',    // the signal number that ended the command
  kInfo = 'I',      // status text
};

/// The fields of a kRequest, in order: the key material, the working
/// directory, the umask (octal), the resource limits ("resource:soft:hard"
/// joined by commas, RLIM_INFINITY as its unsigned value), the nice value,
/// the ignored and the blocked signals (decimal numbers joined by commas),
/// argc; then argc arguments (argv[0] first) and the environment
/// ("NAME=value" each).
enum RequestField : std::size_t {
  kKeyMaterialField,
  kCwdField,
  kUmaskField,
  kLimitsField,
  kNiceField,
  kIgnoredSignalsField,
  kBlockedSignalsField,
  kArgcField,
  kFirstArgvField,
};

/// The descriptors a kRequest carries: stdin, stdout, stderr, the cwd.
inline constexpr std::size_t kRequestDescriptors = 4;

/// The second field of a kMismatch asking the client to start a server.
inline constexpr const char* kRespawn = "1";

/// The descriptors a server process starts with (`sky-native
/// --native-server serve SOCKET`): the key material to read, and the socket
/// directory the client opened and checked.
inline constexpr int kMaterialFd = 3;
inline constexpr int kDirectoryFd = 4;

/// The key material's second line (after its version line): the program a
/// server preloads and its commands run. SkyPilot's CLI (sky mode), or a
/// module run as `python -u -m MODULE` runs it (Python mode: the prefix,
/// then the module's name).
inline constexpr const char* kCliProgramLine = "program=sky";
inline constexpr const char* kModuleProgramPrefix = "program=python -u -m ";

/// One decoded frame.
struct Message {
  MessageKind kind{};
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
