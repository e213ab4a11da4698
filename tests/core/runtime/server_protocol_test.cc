#include "sky/runtime/server/protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sky/common/errors.h"
#include "temp_dir.h"

using sky_native_test::TempDir;
namespace server = sky::core::server;

TEST_CASE("server frames round-trip, empty and binary fields included") {
  server::Message message{'R', {"key", "", std::string("a\0b\n", 4), std::string(70000, 'x')}};
  std::string frame = server::encode(message);
  server::Message back = server::decode_payload(frame.substr(4));
  CHECK(back.type == 'R');
  CHECK(back.fields == message.fields);
  CHECK(server::decode_payload("Q").fields.empty());
}

TEST_CASE("malformed server payloads are rejected, never read past the end") {
  CHECK_THROWS_AS(server::decode_payload(""), std::invalid_argument);
  CHECK_THROWS_AS(server::decode_payload(std::string("R\x05\0\0\0ab", 7)), std::invalid_argument);
  CHECK_THROWS_AS(server::decode_payload(std::string("R\x01\0", 3)), std::invalid_argument);
}

TEST_CASE("messages and file descriptors pass over a socket pair") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  server::send_message(pair[0], {'R', {"one", "two"}}, {pipe_fds[1]});
  // The receiving side takes the descriptor with recvmsg (the Python
  // server's part); here: it arrives as a new descriptor for the same pipe.
  char buffer[256];
  iovec io{buffer, sizeof buffer};
  char control[CMSG_SPACE(sizeof(int))];
  msghdr header{};
  header.msg_iov = &io;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t n = ::recvmsg(pair[1], &header, 0);
  REQUIRE(n > 4);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
  REQUIRE(cmsg != nullptr);
  REQUIRE(cmsg->cmsg_type == SCM_RIGHTS);
  int received = -1;
  std::memcpy(&received, CMSG_DATA(cmsg), sizeof received);
  REQUIRE(::write(received, "z", 1) == 1);
  char got = 0;
  REQUIRE(::read(pipe_fds[0], &got, 1) == 1);
  CHECK(got == 'z');
  CHECK(server::decode_payload(std::string(buffer + 4, static_cast<std::size_t>(n) - 4)).fields ==
        std::vector<std::string>{"one", "two"});

  server::send_message(pair[1], {'X', {"3"}});
  auto reply = server::receive_message(pair[0]);
  REQUIRE(reply);
  CHECK(reply->type == 'X');
  CHECK(reply->fields == std::vector<std::string>{"3"});
  ::close(pair[1]);
  CHECK_FALSE(server::receive_message(pair[0]));  // clean end of stream
  for (int fd : {pair[0], pipe_fds[0], pipe_fds[1], received}) ::close(fd);
}

TEST_CASE("a frame cut short is an error, not a clean end") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  std::string frame = server::encode({'X', {"0"}});
  REQUIRE(::write(pair[1], frame.data(), 6) == 6);
  ::close(pair[1]);
  CHECK_THROWS_AS(server::receive_message(pair[0]), std::invalid_argument);
  ::close(pair[0]);
}

TEST_CASE("connect_unix reports a missing socket through errno") {
  CHECK(server::connect_unix("/nonexistent-dir/x.sock") == -1);
  CHECK(errno == ENOENT);
  CHECK(server::connect_unix(std::string(200, 'a')) == -1);
  CHECK(errno == ENAMETOOLONG);
}

TEST_CASE("peer_uid names the user at the other end of a socket") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  CHECK(server::peer_uid(pair[0]) == ::geteuid());
  ::close(pair[0]);
  ::close(pair[1]);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  CHECK_FALSE(server::peer_uid(pipe_fds[0]));  // not a socket
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_CASE("connect_unix_at reaches a socket through its directory's descriptor") {
  TempDir temp;
  std::string path = temp.path() + "/s.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  int directory = ::open(temp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(directory >= 0);
  int connection = server::connect_unix_at(directory, "s.sock");
  CHECK(connection >= 0);
  CHECK(server::connect_unix_at(directory, "missing.sock") == -1);
  CHECK(errno == ENOENT);
  for (int fd : {connection, directory, listener}) ::close(fd);
}

TEST_CASE("the socket directory is made 0700 under a trusted runtime directory") {
  TempDir temp;
  unsigned uid = ::geteuid();
  server::SocketDirectory made = server::socket_directory(temp.path().c_str(), uid);
  INFO(made.directory.reason());
  REQUIRE(made.directory.ok());
  CHECK(made.path == temp.path() + "/sky-native");
  struct stat st {};
  REQUIRE(::stat(made.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0700U);
  CHECK(server::socket_directory(temp.path().c_str(), uid).directory.ok());  // exists: fine
  // No usable XDG_RUNTIME_DIR: the per-user directory under /tmp.
  CHECK(server::socket_directory(nullptr, uid).path == "/tmp/sky-native-" + std::to_string(uid));
  CHECK(server::socket_directory("relative", uid).path == "/tmp/sky-native-" + std::to_string(uid));
}

TEST_CASE("a runtime or socket directory others could change is refused, with the reason") {
  TempDir temp;
  unsigned uid = ::geteuid();
  std::string runtime = temp.path() + "/run";
  REQUIRE(::mkdir(runtime.c_str(), 0700) == 0);
  REQUIRE(server::socket_directory(runtime.c_str(), uid).directory.ok());
  std::string sockets = runtime + "/sky-native";

  REQUIRE(::chmod(sockets.c_str(), 0770) == 0);
  server::SocketDirectory open = server::socket_directory(runtime.c_str(), uid);
  CHECK_FALSE(open.directory.ok());
  CHECK(open.directory.reason() == sockets + ": writable by its group (mode 770)");
  REQUIRE(::chmod(sockets.c_str(), 0700) == 0);

  REQUIRE(::chmod(runtime.c_str(), 0777) == 0);  // the runtime directory itself
  CHECK_FALSE(server::socket_directory(runtime.c_str(), uid).directory.ok());
  REQUIRE(::chmod(runtime.c_str(), 0700) == 0);

  // Another user's runtime directory (root after `su` keeps the user's).
  if (uid == 0) {
    REQUIRE(::chown(runtime.c_str(), 4242, 4242) == 0);
    server::SocketDirectory foreign = server::socket_directory(runtime.c_str(), uid);
    CHECK_FALSE(foreign.directory.ok());
    CHECK(foreign.directory.reason() == runtime + ": owned by uid 4242, not by this user or root");
    REQUIRE(::chown(runtime.c_str(), 0, 0) == 0);
  }

  // A missing runtime directory is not made.
  std::string missing = temp.path() + "/missing";
  CHECK_FALSE(server::socket_directory(missing.c_str(), uid).directory.ok());
  CHECK(::access(missing.c_str(), F_OK) != 0);

  REQUIRE(::rmdir(sockets.c_str()) == 0);
  REQUIRE(::symlink("/tmp", sockets.c_str()) == 0);  // ends in a shared directory
  CHECK_FALSE(server::socket_directory(runtime.c_str(), uid).directory.ok());
}
