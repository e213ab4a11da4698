// The floor of each of the 12 functions: the least work its result needs, in
// plain C++ with no Python and no sky-native code. The system calls and reads
// of the same files (stat + open + one pread + close for a tail, getdents64
// over a directory, one read of a cgroup file), OpenSSL's digest over a buffer
// already in memory, and the bare computation for the pure functions.
//
// The inputs are the ones tests/bench/compare_python.py times SkyPilot's
// Python and sky-native on (same log lines, file sizes, directory entries,
// arguments). Each benchmark reports its input as counters (input_bytes,
// lines, entries) and tests/bench/report.py refuses to compare rows whose
// inputs differ. Run by `make bench` (through report.py), never by ctest.
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// 128 bits hold any md5 hex digest (GCC and Clang's extension).
__extension__ typedef unsigned __int128 Uint128;

// The results are (pointer, length) in stack buffers, never NUL-terminated.
constexpr char kEllipsis[3] = {'.', '.', '.'};

constexpr int kLogLines = 200'000;
constexpr std::size_t kBlobBytes = 64 << 20;
constexpr std::array<int, 4> kMountEntries = {50, 100, 150, 200};

// compare_python.py's scratch directory: big.log, blob.bin and mount0..3
// (what estimate_fd_for_directory counts), the mounts with empty files.
struct Fixtures {
  std::string dir;
  std::string log;
  std::size_t log_bytes = 0;
  std::vector<std::string> mounts;
};

void write_file(const std::string& path, std::string_view content) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (!content.empty() && std::fwrite(content.data(), 1, content.size(), file) != content.size()) {
    std::abort();
  }
  std::fclose(file);
}

void remove_tree(const std::string& dir) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return;
  while (const dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir;
    path += '/';
    path += name;
    if (entry->d_type == DT_DIR) {
      remove_tree(path);
    } else {
      ::unlink(path.c_str());
    }
  }
  ::closedir(stream);
  ::rmdir(dir.c_str());
}

const Fixtures& fixtures() {
  static const Fixtures made = [] {
    Fixtures f;
    char pattern[] = "/tmp/sky_native_floor_bench.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    f.dir = pattern;
    // compare_python.py: f'{i:08d} INFO worker step finished in 0.{i % 997} s\n'
    std::string log;
    char line[96];
    for (int i = 0; i < kLogLines; ++i) {
      int length = std::snprintf(line, sizeof line, "%08d INFO worker step finished in 0.%d s\n", i,
                                 i % 997);
      log.append(line, static_cast<std::size_t>(length));
    }
    f.log = f.dir + "/big.log";
    f.log_bytes = log.size();
    write_file(f.log, log);
    // Hashing is measured over memory; the file only counts as an entry.
    write_file(f.dir + "/blob.bin", "");
    for (std::size_t d = 0; d < kMountEntries.size(); ++d) {
      std::string mount = f.dir + "/mount" + std::to_string(d);
      ::mkdir(mount.c_str(), 0755);
      for (int e = 0; e < kMountEntries[d]; ++e) write_file(mount + "/f" + std::to_string(e), "");
      f.mounts.push_back(mount);
    }
    return f;
  }();
  static const bool cleanup_registered = [] {
    std::atexit([] { remove_tree(made.dir); });
    return true;
  }();
  (void)cleanup_registered;
  return made;
}

// Reads a small file whole with open + read + close (what Python's
// open().read() of a /proc, /sys or cgroup file reduces to). Returns the
// byte count, or -1.
ssize_t read_small_file(const char* path, char* buffer, std::size_t size) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t got = ::read(fd, buffer, size);
  ::close(fd);
  return got;
}

// The number of CPUs in a list such as "0-1,4,6-7" (/sys/.../cpu/online).
int count_cpu_list(std::string_view list) {
  int count = 0;
  while (!list.empty() && list.front() >= '0' && list.front() <= '9') {
    int first = 0;
    auto [end, ec] = std::from_chars(list.data(), list.data() + list.size(), first);
    list.remove_prefix(static_cast<std::size_t>(end - list.data()));
    int last = first;
    if (!list.empty() && list.front() == '-') {
      list.remove_prefix(1);
      auto [end2, ec2] = std::from_chars(list.data(), list.data() + list.size(), last);
      list.remove_prefix(static_cast<std::size_t>(end2 - list.data()));
    }
    count += last - first + 1;
    if (!list.empty() && list.front() == ',') list.remove_prefix(1);
  }
  return count;
}

// Entries of a directory but "." and "..", by getdents64 into one buffer;
// -1 when it cannot be opened as a directory.
long count_entries(const char* path) {
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  alignas(8) static char buffer[32768];
  long entries = 0;
  for (;;) {
    long got = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      const char* record = buffer + at;
      unsigned short length = 0;
      std::memcpy(&length, record + 16, sizeof length);  // d_reclen
      const char* name = record + 19;                    // d_name
      bool dot = name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
      if (!dot) ++entries;
      at += length;
    }
  }
  ::close(fd);
  return entries;
}

bool cgroup_v2() {
  struct stat info {};
  return ::stat("/sys/fs/cgroup/cgroup.controllers", &info) == 0 && S_ISREG(info.st_mode);
}

// read_last_n_lines(big.log, n): stat (Python's existence check), open, one
// pread of exactly the bytes the last n lines span (and the newline before
// them), close, and one scan for the line ends.
void floor_read_last_n_lines(benchmark::State& state) {
  const Fixtures& f = fixtures();
  const auto n = static_cast<int>(state.range(0));
  std::string whole(f.log_bytes, '\0');
  {
    int fd = ::open(f.log.c_str(), O_RDONLY | O_CLOEXEC);
    if (::pread(fd, whole.data(), whole.size(), 0) != static_cast<ssize_t>(whole.size())) {
      std::abort();
    }
    ::close(fd);
  }
  std::size_t start = whole.size() - 1;  // the final '\n'
  for (int found = 0; found < n && start > 0; ++found) start = whole.rfind('\n', start - 1);
  const std::size_t tail = whole.size() - start;
  std::vector<char> buffer(tail);
  for (auto _ : state) {
    struct stat info {};
    if (::stat(f.log.c_str(), &info) != 0) state.SkipWithError("stat failed");
    int fd = ::open(f.log.c_str(), O_RDONLY | O_CLOEXEC);
    ssize_t got = ::pread(fd, buffer.data(), tail, info.st_size - static_cast<off_t>(tail));
    ::close(fd);
    long lines = 0;
    for (const char* at = buffer.data(); at < buffer.data() + got;) {
      const void* end = std::memchr(at, '\n', static_cast<std::size_t>(buffer.data() + got - at));
      if (end == nullptr) break;
      ++lines;
      at = static_cast<const char*>(end) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.counters["input_bytes"] = static_cast<double>(f.log_bytes);
  state.counters["lines"] = n;
  state.counters["read_bytes"] = static_cast<double>(tail);
}
BENCHMARK(floor_read_last_n_lines)->Arg(10)->Arg(1000);

// For the breakdown under the table: the system calls SkyPilot's
// read_last_n_lines makes on a regular file (and so sky-native, to raise
// what it raises: strace), without the Python -- os.path.exists's stat,
// open, FileIO's fstat, BufferedReader's seekable/seek/tell lseeks, whole
// chunk_size (8 KiB) reads back from the end until more than n newlines
// were read, close -- and the newline search.
void floor_read_last_n_lines_skypilot_reads(benchmark::State& state) {
  const Fixtures& f = fixtures();
  const auto n = static_cast<long>(state.range(0));
  constexpr std::size_t kChunk = 8192;
  std::vector<char> buffer(f.log_bytes);
  for (auto _ : state) {
    struct stat info {};
    if (::stat(f.log.c_str(), &info) != 0) state.SkipWithError("stat failed");
    int fd = ::open(f.log.c_str(), O_RDONLY | O_CLOEXEC);
    ::fstat(fd, &info);
    ::lseek(fd, 0, SEEK_CUR);
    ::lseek(fd, 0, SEEK_END);
    off_t pos = ::lseek(fd, 0, SEEK_CUR);
    long newlines = 0;
    char* end = buffer.data() + buffer.size();
    while (pos > 0 && newlines <= n) {
      std::size_t size = std::min<std::size_t>(kChunk, static_cast<std::size_t>(pos));
      pos -= static_cast<off_t>(size);
      char* chunk = end - size;
      if (::pread(fd, chunk, size, pos) != static_cast<ssize_t>(size)) {
        state.SkipWithError("short read");
      }
      for (std::size_t left = size; newlines <= n;) {
        const void* found = ::memrchr(chunk, '\n', left);
        if (found == nullptr) break;
        left = static_cast<std::size_t>(static_cast<const char*>(found) - chunk);
        ++newlines;
      }
      end = chunk;
    }
    ::close(fd);
    benchmark::DoNotOptimize(newlines);
  }
}
BENCHMARK(floor_read_last_n_lines_skypilot_reads)->Arg(10)->Arg(1000);

// hash_file(blob, 'sha256'): OpenSSL's SHA-256 over 64 MiB already in memory
// (no reads: the page-cache copy is the rest of what hash_file pays).
void floor_hash_file(benchmark::State& state) {
  std::vector<unsigned char> blob(kBlobBytes);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<unsigned char>(i * 131 + 7);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_Digest(blob.data(), blob.size(), digest, &length, sha256, nullptr);
    benchmark::DoNotOptimize(digest);
  }
  EVP_MD_free(sha256);
  state.counters["input_bytes"] = static_cast<double>(kBlobBytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBlobBytes));
}
BENCHMARK(floor_hash_file)->Unit(benchmark::kMillisecond);

// find_free_port(20001) when 20001 is free: socket, bind on 0.0.0.0, close.
void floor_find_free_port(benchmark::State& state) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<std::uint16_t>(state.range(0)));
  for (auto _ : state) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::close(fd);
    if (bound != 0) state.SkipWithError("port busy");
    benchmark::DoNotOptimize(bound);
  }
}
BENCHMARK(floor_find_free_port)->Arg(20001);

// base36_encode(md5 hex): 32 hex digits into 128 bits, then divisions by 36.
void floor_base36_encode(benchmark::State& state) {
  std::string hex = "d41d8cd98f00b204e9800998ecf8427e";
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(hex.data());
    Uint128 value = 0;
    for (char c : hex) {
      unsigned digit =
          c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
      value = value << 4 | digit;
    }
    char* at = out + sizeof out;
    do {
      *--at = kAlphabet[static_cast<unsigned>(value % 36)];
      value /= 36;
    } while (value != 0);
    benchmark::DoNotOptimize(at);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_base36_encode);

// format_float(2.25): the whole-number check and a correctly rounded '%.1f'.
void floor_format_float_fraction(benchmark::State& state) {
  double value = 2.25;
  char out[64];
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    std::to_chars_result written =
        std::trunc(value) == value
            ? std::to_chars(out, out + sizeof out, value, std::chars_format::fixed, 0)
            : std::to_chars(out, out + sizeof out, value, std::chars_format::fixed, 1);
    benchmark::DoNotOptimize(written.ptr);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_format_float_fraction);

// format_float(7): an int is str(int).
void floor_format_float_int(benchmark::State& state) {
  long value = 7;
  char out[32];
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    std::to_chars_result written = std::to_chars(out, out + sizeof out, value);
    benchmark::DoNotOptimize(written.ptr);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_format_float_int);

// truncate_long_string(command, 25): SkyPilot's word-boundary cut on an
// ASCII string, into a stack buffer.
void floor_truncate_long_string_end(benchmark::State& state) {
  std::string text = "sky launch -c mycluster --gpus A100:8 task.yaml";
  const std::size_t max_length = 25;
  char out[64];
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    std::string_view s = text;
    std::size_t keep = s.size();
    if (s.size() > max_length) {
      // prefix = ' '.join(parts before the one that reaches max_length);
      // shorter than max_length, it is padded from s up to max_length.
      std::size_t total = 0;
      std::size_t part_start = 0;
      std::size_t prefix = 0;
      for (;;) {
        std::size_t space = s.find(' ', part_start);
        std::size_t part_end = space == std::string_view::npos ? s.size() : space;
        total += part_end - part_start;
        if (total >= max_length || space == std::string_view::npos) break;
        prefix = part_end;
        part_start = space + 1;
      }
      keep = prefix < max_length ? max_length : prefix;
      std::memcpy(out, s.data(), keep);
      std::memcpy(out + keep, kEllipsis, sizeof kEllipsis);
    }
    benchmark::DoNotOptimize(keep);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_truncate_long_string_end);

// truncate_long_string(zone, 15, True): s[:6] + '...' + s[-6:].
void floor_truncate_long_string_middle(benchmark::State& state) {
  std::string text = "us-west-2-availability-zone-1";
  const std::size_t max_length = 15;
  char out[64];
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    std::size_t half = (max_length - 3) / 2;
    std::size_t start = half + (max_length - 3) % 2;
    std::memcpy(out, text.data(), start);
    std::memcpy(out + start, kEllipsis, sizeof kEllipsis);
    std::memcpy(out + start + 3, text.data() + text.size() - half, half);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(floor_truncate_long_string_middle);

// get_cpu_count(): the affinity mask, the cgroup v2 marker, and one read of
// the CPU quota (cpu.max on v2; cpu.cfs_quota_us on v1, and the period only
// when a quota is set).
void floor_get_cpu_count(benchmark::State& state) {
  char buffer[128];
  for (auto _ : state) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ::sched_getaffinity(0, sizeof set, &set);
    int cpus = CPU_COUNT(&set);
    if (cgroup_v2()) {
      benchmark::DoNotOptimize(read_small_file("/sys/fs/cgroup/cpu.max", buffer, sizeof buffer));
    } else {
      ssize_t got = read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", buffer, sizeof buffer);
      if (got > 0 && buffer[0] != '-') {
        benchmark::DoNotOptimize(
            read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_period_us", buffer, sizeof buffer));
      }
    }
    benchmark::DoNotOptimize(cpus);
  }
}
BENCHMARK(floor_get_cpu_count);

// /proc/meminfo's MemTotal in bytes (what psutil.virtual_memory().total
// reads), or 0.
unsigned long long meminfo_total() {
  char buffer[4096];
  ssize_t got = read_small_file("/proc/meminfo", buffer, sizeof buffer - 1);
  if (got <= 0) return 0;
  std::string_view text(buffer, static_cast<std::size_t>(got));
  std::size_t at = text.find("MemTotal:");
  if (at == std::string_view::npos) return 0;
  at = text.find_first_of("0123456789", at);
  unsigned long long kib = 0;
  std::from_chars(text.data() + at, text.data() + text.size(), kib);
  return kib * 1024;
}

unsigned long long sysinfo_total() {
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) return 0;
  return static_cast<unsigned long long>(info.totalram) * info.mem_unit;
}

// get_mem_size_gb(): sysinfo() (it gives MemTotal exactly: the counter
// sysinfo_equals_meminfo says so for this machine), the cgroup v2 marker, and
// one read of the cgroup memory limit.
void floor_get_mem_size_gb(benchmark::State& state) {
  char buffer[64];
  for (auto _ : state) {
    unsigned long long total = sysinfo_total();
    const char* limit =
        cgroup_v2() ? "/sys/fs/cgroup/memory.max" : "/sys/fs/cgroup/memory/memory.limit_in_bytes";
    benchmark::DoNotOptimize(read_small_file(limit, buffer, sizeof buffer));
    benchmark::DoNotOptimize(static_cast<double>(total) / (1024.0 * 1024.0 * 1024.0));
  }
  state.counters["sysinfo_equals_meminfo"] = sysinfo_total() == meminfo_total() ? 1 : 0;
}
BENCHMARK(floor_get_mem_size_gb);

// The two sources of the total alone: sysinfo() against reading and parsing
// /proc/meminfo (psutil's source).
void floor_mem_total_sysinfo(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sysinfo_total());
}
BENCHMARK(floor_mem_total_sysinfo);

// statfs() of the file whose filesystem proves the cheaper source exact
// (get_mem_size_gb, get_cpu_count: sky-native's one call beyond the floor).
void floor_statfs(benchmark::State& state, const char* path) {
  struct statfs info {};
  for (auto _ : state) benchmark::DoNotOptimize(::statfs(path, &info));
}
BENCHMARK_CAPTURE(floor_statfs, proc_meminfo, "/proc/meminfo");
BENCHMARK_CAPTURE(floor_statfs, sys_cpu_online, "/sys/devices/system/cpu/online");

void floor_mem_total_meminfo(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(meminfo_total());
}
BENCHMARK(floor_mem_total_meminfo);

// The number os.cpu_count() gives (glibc's sysconf(_SC_NPROCESSORS_ONLN)
// opens, reads and closes /sys/devices/system/cpu/online each call).
int online_cpus() {
  char buffer[256];
  ssize_t got = read_small_file("/sys/devices/system/cpu/online", buffer, sizeof buffer);
  return got > 0 ? count_cpu_list(std::string_view(buffer, static_cast<std::size_t>(got))) : 1;
}

// get_parallel_threads('kubernetes'): max(4, os.cpu_count() - 1) * 4.
void floor_get_parallel_threads(benchmark::State& state) {
  for (auto _ : state) {
    int cpus = online_cpus();
    benchmark::DoNotOptimize((cpus - 1 > 4 ? cpus - 1 : 4) * 4);
  }
  state.counters["cpus"] = online_cpus();
  state.counters["sysconf_agrees"] = online_cpus() == ::sysconf(_SC_NPROCESSORS_ONLN) ? 1 : 0;
}
BENCHMARK(floor_get_parallel_threads);

// For reference: glibc's sysconf itself, and one pread of a descriptor kept
// open (what a cached descriptor would pay instead of open + read + close).
void floor_online_sysconf(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::sysconf(_SC_NPROCESSORS_ONLN));
}
BENCHMARK(floor_online_sysconf);

void floor_online_cached_fd(benchmark::State& state) {
  int fd = ::open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
  char buffer[256];
  for (auto _ : state) benchmark::DoNotOptimize(::pread(fd, buffer, sizeof buffer, 0));
  ::close(fd);
}
BENCHMARK(floor_online_cached_fd);

// get_max_workers_for_file_mounts(4 mounts, 'aws'): the NOFILE limit,
// getdents64 over each source, and the CPU count.
void floor_get_max_workers_for_file_mounts(benchmark::State& state) {
  const Fixtures& f = fixtures();
  long total_entries = 0;
  for (const std::string& mount : f.mounts) total_entries += count_entries(mount.c_str());
  for (auto _ : state) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    long fd_per_rsync = 5;
    for (const std::string& mount : f.mounts) {
      long entries = count_entries(mount.c_str());
      if (entries * 5 > fd_per_rsync) fd_per_rsync = entries * 5;
    }
    long workers = (static_cast<long>(limit.rlim_cur) - 100) / fd_per_rsync;
    int cpus = online_cpus();
    long threads = cpus - 1 > 4 ? cpus - 1 : 4;
    benchmark::DoNotOptimize(workers < 1 ? 1 : (workers < threads ? workers : threads));
  }
  state.counters["entries"] = static_cast<double>(total_entries);
}
BENCHMARK(floor_get_max_workers_for_file_mounts);

// is_process_alive(os.getpid()): kill(pid, 0) and the zombie check's one
// read of /proc/<pid>/stat, the state after the last ')'.
void floor_is_process_alive(benchmark::State& state) {
  const pid_t pid = ::getpid();
  const std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  char buffer[1024];
  for (auto _ : state) {
    bool alive = ::kill(pid, 0) == 0;
    ssize_t got = read_small_file(stat_path.c_str(), buffer, sizeof buffer);
    if (got > 0) {
      std::string_view text(buffer, static_cast<std::size_t>(got));
      std::size_t paren = text.rfind(')');
      alive = alive && paren != std::string_view::npos && paren + 2 < text.size() &&
              text[paren + 2] != 'Z';
    }
    benchmark::DoNotOptimize(alive);
  }
}
BENCHMARK(floor_is_process_alive);

// For reference: kill(pid, 0) alone (the liveness without the zombie check).
void floor_kill_only(benchmark::State& state) {
  const pid_t pid = ::getpid();
  for (auto _ : state) benchmark::DoNotOptimize(::kill(pid, 0));
}
BENCHMARK(floor_kill_only);

// estimate_fd_for_directory(scratch): getdents64 over compare_python.py's
// scratch directory (6 entries).
void floor_estimate_fd_for_directory(benchmark::State& state) {
  const Fixtures& f = fixtures();
  for (auto _ : state) benchmark::DoNotOptimize(count_entries(f.dir.c_str()) * 5);
  state.counters["entries"] = static_cast<double>(count_entries(f.dir.c_str()));
}
BENCHMARK(floor_estimate_fd_for_directory);

}  // namespace
