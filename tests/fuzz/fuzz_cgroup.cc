// The cgroup v1/v2 CPU and memory limit readers on arbitrary file contents
// (a private fixture tree under /tmp, rewritten for every input).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sky/functions/resources.h"

namespace {

std::string make_root() {
  char pattern[] = "/tmp/sky-native-fuzz-cgroup-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) std::abort();
  std::string root = pattern;
  (void)std::system(
      ("mkdir -p " + root + "/v1/cpu " + root + "/v1/memory " + root + "/v2").c_str());
  std::ofstream(root + "/v2/cgroup.controllers") << "cpu memory\n";
  return root;
}

void write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string root = make_root();
  std::string content(reinterpret_cast<const char*>(data), size);
  auto half = content.size() / 2;
  write(root + "/v2/cpu.max", content);
  write(root + "/v2/memory.max", content);
  write(root + "/v1/cpu/cpu.cfs_quota_us", content.substr(0, half));
  write(root + "/v1/cpu/cpu.cfs_period_us", content.substr(half));
  write(root + "/v1/memory/memory.limit_in_bytes", content);
  for (const char* tree : {"/v1", "/v2"}) {
    sky::core::ResourceSources sources;
    sources.cgroup_root = root + tree;
    (void)sky::core::get_cgroup_cpu_limit(sources);
    auto memory = sky::core::get_cgroup_memory_limit(sources);
    if (memory && *memory == 0) __builtin_trap();  // only limits > 0 count
  }
  return 0;
}
