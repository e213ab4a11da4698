#include "sky/functions/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sky/common/errors.h"

using sky::core::find_free_port;

namespace {

// A socket bound to `address`:`port` (0: an ephemeral port), closed at scope
// exit.
class BoundSocket {
 public:
  explicit BoundSocket(const char* address, int family = AF_INET, bool listening = false,
                       int port = 0) {
    fd_ = socket(family, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    if (family == AF_INET) {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      in.sin_port = htons(static_cast<std::uint16_t>(port));
      REQUIRE(inet_pton(AF_INET, address, &in.sin_addr) == 1);
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&in), sizeof(in)) == 0);
      socklen_t length = sizeof(in);
      REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&in), &length) == 0);
      port_ = ntohs(in.sin_port);
    } else {
      int off = 0;  // dual stack
      REQUIRE(setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == 0);
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      REQUIRE(inet_pton(AF_INET6, address, &in6.sin6_addr) == 1);
      REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&in6), sizeof(in6)) == 0);
      socklen_t length = sizeof(in6);
      REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&in6), &length) == 0);
      port_ = ntohs(in6.sin6_port);
    }
    if (listening) REQUIRE(listen(fd_, 1) == 0);
  }
  ~BoundSocket() { close(fd_); }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("find_free_port skips a port bound on 0.0.0.0", "[ports]") {
  BoundSocket busy("0.0.0.0");
  std::vector<std::pair<int, int>> errors;
  auto port = find_free_port(busy.port(), [&](int p, int e) { errors.emplace_back(p, e); });
  REQUIRE(port.has_value());
  CHECK(*port > busy.port());
  REQUIRE(!errors.empty());
  CHECK(errors.front() == std::make_pair(busy.port(), EADDRINUSE));
  CHECK(static_cast<int>(errors.size()) == *port - busy.port());
}

TEST_CASE("find_free_port skips a port bound on 127.0.0.1", "[ports]") {
  BoundSocket busy("127.0.0.1");
  auto port = find_free_port(busy.port());
  REQUIRE(port.has_value());
  CHECK(*port != busy.port());
}

TEST_CASE("find_free_port skips a port held by a listening dual-stack socket", "[ports]") {
  BoundSocket busy("::", AF_INET6, /*listening=*/true);
  auto port = find_free_port(busy.port());
  REQUIRE(port.has_value());
  CHECK(*port != busy.port());
}

TEST_CASE("find_free_port returns a free port itself, and it is free", "[ports]") {
  int free_port = 0;
  {
    BoundSocket probe("0.0.0.0");
    free_port = probe.port();
  }
  auto port = find_free_port(free_port);
  REQUIRE(port.has_value());
  CHECK(*port >= free_port);
  // The socket was closed: the returned port itself binds again at once.
  BoundSocket again("0.0.0.0", AF_INET, /*listening=*/false, *port);
  CHECK(again.port() == *port);
}

TEST_CASE("find_free_port: port 0 gives 0", "[ports]") { CHECK(find_free_port(0) == 0); }

TEST_CASE("find_free_port: the range ends before 65535", "[ports]") {
  CHECK_FALSE(find_free_port(65535).has_value());
  CHECK_FALSE(find_free_port(70000).has_value());
  CHECK_FALSE(find_free_port(1LL << 40).has_value());
  // 65534 itself: returned when it binds, else no port at all.
  auto last = find_free_port(65534);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(65534);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof(in)) == 0;
  close(fd);
  CHECK(last == (free ? std::optional<int>(65534) : std::nullopt));
}

TEST_CASE("find_free_port: 65534 busy means no port", "[ports]") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(65534);
  // Bound here, or (bind failing) held by someone else: busy either way.
  bool bound = bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof(in)) == 0;
  INFO("bound here: " << bound << ", errno " << (bound ? 0 : errno));
  CHECK((bound || errno == EADDRINUSE));
  int calls = 0;
  CHECK_FALSE(find_free_port(65534, [&](int, int) { ++calls; }).has_value());
  CHECK(calls == 1);
  close(fd);
}

TEST_CASE("find_free_port: negative ports overflow", "[ports]") {
  for (long long start : {-1LL, -5LL, -(1LL << 40)}) {
    try {
      find_free_port(start);
      FAIL("no throw");
    } catch (const std::overflow_error& e) {
      CHECK(std::string(e.what()) == "bind(): port must be 0-65535.");
    }
  }
}
