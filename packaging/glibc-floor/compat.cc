// glibc symbols that what is linked statically into an artefact refers to
// and that the oldest glibc the artefacts support lacks, defined inside the
// artefact (hidden: nothing else binds to them). The host GCC's libstdc++
// and libgcc_eh (the wheels, the launcher), and Debian's libpython and
// libexpat archives (the launcher) were built against glibc 2.36. Without
// these the floor would be glibc 2.36 (arc4random); with them, the wheels
// need 2.17's symbols and the launcher 2.25's. Built only with
// toolchain.cmake.
#include <link.h>
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

// glibc 2.36, used by libexpat's hash salt. glibc's never fails either.
__attribute__((visibility("hidden"))) void arc4random_buf(void* buffer, std::size_t length) {
  while (!fill_random(buffer, length)) {
  }
}

// glibc 2.34; CPython (os.closerange, subprocess) falls back to closing one
// descriptor at a time when the call fails, as on a kernel before 5.9.
__attribute__((visibility("hidden"))) int close_range(unsigned int first, unsigned int last,
                                                      int flags) {
#ifndef SYS_close_range
  constexpr long SYS_close_range = 436;  // the same on every architecture
#endif
  return static_cast<int>(syscall(SYS_close_range, first, last, flags));
}

// glibc 2.35: how GCC 12's unwinder (libgcc_eh, linked statically into the
// launcher) finds the exception-handling data of the object holding a code
// address. Older unwinders do the same through dl_iterate_phdr. Before
// glibc 2.35's headers, glibc's layout for x86_64 (no data base, no entry
// count).
#ifndef DLFO_STRUCT_HAS_EH_DBASE
struct dl_find_object {
  unsigned long long dlfo_flags;
  void* dlfo_map_start;
  void* dlfo_map_end;
  struct link_map* dlfo_link_map;
  void* dlfo_eh_frame;
  unsigned long long dlfo_reserved[7];
};
#endif

// NOLINTNEXTLINE(bugprone-reserved-identifier): glibc's name, which libgcc_eh calls
__attribute__((visibility("hidden"))) int _dl_find_object(void* address, dl_find_object* result) {
  struct Search {
    std::uintptr_t address;
    dl_find_object* result;
    bool found;
  } wanted{reinterpret_cast<std::uintptr_t>(address), result, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto* search = static_cast<Search*>(data);
        const ElfW(Phdr)* load = nullptr;
        const ElfW(Phdr)* eh_frame = nullptr;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
          std::uintptr_t start = info->dlpi_addr + phdr.p_vaddr;
          if (phdr.p_type == PT_LOAD && search->address >= start &&
              search->address < start + phdr.p_memsz) {
            load = &phdr;
          } else if (phdr.p_type == PT_GNU_EH_FRAME) {
            eh_frame = &phdr;
          }
        }
        if (load == nullptr) return 0;
        *search->result = dl_find_object{};
        // The loader gives addresses as integers.
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        auto* start = reinterpret_cast<char*>(info->dlpi_addr + load->p_vaddr);
        search->result->dlfo_map_start = start;
        search->result->dlfo_map_end = start + load->p_memsz;
        if (eh_frame != nullptr) {
          auto offset = static_cast<std::ptrdiff_t>(eh_frame->p_vaddr - load->p_vaddr);
          search->result->dlfo_eh_frame = start + offset;
        }
        search->found = true;
        return 1;
      },
      &wanted);
  return wanted.found ? 0 : -1;
}
}
