// glibc symbols that the host GCC's static libstdc++ refers to and that
// the oldest glibc the artefacts support lacks, defined inside the
// artefact (hidden: nothing else binds to them). Without them the floor
// would be glibc 2.36 (arc4random); with them, 2.17's symbols suffice.
// Built only with toolchain.cmake.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace {

// The kernel's getrandom (Linux 3.17), for glibcs without a wrapper.
bool fill_random(void* buffer, std::size_t length) {
  auto* bytes = static_cast<unsigned char*>(buffer);
  while (length > 0) {
    long got = syscall(SYS_getrandom, bytes, length, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += got;
    length -= static_cast<std::size_t>(got);
  }
  return true;
}

}  // namespace

extern "C" {

// glibc 2.32: whether the process is known to have one thread. 0 ("not
// known") makes libstdc++ always use atomic operations, as it does where
// glibc has no such variable.
// NOLINTNEXTLINE(bugprone-reserved-identifier): glibc's name, which libstdc++ uses
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

// glibc 2.25 and 2.36: reached only by std::random_device, which nothing
// here uses; with glibc's semantics all the same.
__attribute__((visibility("hidden"))) int getentropy(void* buffer, std::size_t length) {
  if (length > 256) {
    errno = EIO;
    return -1;
  }
  return fill_random(buffer, length) ? 0 : -1;
}

__attribute__((visibility("hidden"))) std::uint32_t arc4random() {
  std::uint32_t value = 0;
  while (!fill_random(&value, sizeof value)) {
  }
  return value;
}
}
