#include "sky/core/server_protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sky/core/errors.h"

using sky::core::OsError;
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

TEST_CASE("the socket directory is private: created 0700, others refused") {
  char base_template[] = "/tmp/sky-native-test-XXXXXX";
  REQUIRE(::mkdtemp(base_template) != nullptr);
  std::string base = base_template;
  unsigned uid = ::geteuid();
  std::string dir = server::private_directory(base.c_str(), uid);
  CHECK(dir == base + "/sky-native");
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0700U);
  CHECK(server::private_directory(base.c_str(), uid) == dir);  // exists already: fine

  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  CHECK_THROWS_AS(server::private_directory(base.c_str(), uid), OsError);
  REQUIRE(::chmod(dir.c_str(), 0700) == 0);
  CHECK_FALSE(server::is_private_directory(dir, uid + 1));  // someone else's

  REQUIRE(::rmdir(dir.c_str()) == 0);
  REQUIRE(::symlink("/tmp", dir.c_str()) == 0);  // a link is never trusted
  CHECK_THROWS_AS(server::private_directory(base.c_str(), uid), OsError);
  ::unlink(dir.c_str());
  ::rmdir(base.c_str());
  // No usable XDG_RUNTIME_DIR: the per-user directory under /tmp.
  CHECK(server::private_directory(nullptr, uid) == "/tmp/sky-native-" + std::to_string(uid));
  CHECK(server::private_directory("relative", uid) == "/tmp/sky-native-" + std::to_string(uid));
}
