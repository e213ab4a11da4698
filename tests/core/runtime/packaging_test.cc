// The single file's unpacking: trailer, manifest, payload, cache directory,
// CA bundle choice.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sky/runtime/single_file/ca_bundle.h"
#include "sky/runtime/single_file/copy_cache.h"
#include "sky/runtime/single_file/manifest.h"
#include "sky/runtime/single_file/payload_trailer.h"
#include "sky/runtime/single_file/payload_unpack.h"
#include "temp_dir.h"

namespace {

using namespace sky::core;  // NOLINT(google-build-using-namespace)
using sky_native_test::TempDir;

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
}

struct File {
  std::string path;
  unsigned mode;
  std::string bytes;
};

std::string manifest_for(const std::vector<File>& files) {
  std::string text = "sky-native-manifest 1\n";
  for (const File& file : files) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", file.mode);
    text += std::string(mode) + " " + std::to_string(file.bytes.size()) + " " +
            sha256_hex(file.bytes) + " " + file.path + "\n";
  }
  return text;
}

// A single file: a fake launcher, the payload, the trailer.
PayloadTrailer write_single_file(const std::string& path, const std::vector<File>& files) {
  std::string manifest = manifest_for(files);
  std::string stream = std::to_string(manifest.size()) + "\n" + manifest;
  for (const File& file : files) stream += file.bytes;
  std::string compressed(ZSTD_compressBound(stream.size()), '\0');
  compressed.resize(
      ZSTD_compress(compressed.data(), compressed.size(), stream.data(), stream.size(), 3));
  std::string launcher =
      "\x7f"
      "ELF launcher bytes";
  PayloadTrailer trailer{launcher.size(), compressed.size(), sha256_hex(manifest)};
  write_file(path, launcher + compressed + encode_payload_trailer(trailer));
  return trailer;
}

// The files of the sample payload (a function: a static vector's
// constructor could throw before main).
const std::vector<File>& sample_files() {
  static const std::vector<File> files = {
      {"bin/tool", 0755, "#!/bin/sh\n"},
      {"lib/empty", 0644, ""},
      {"lib/python3.11/os.py", 0644, std::string(300000, 'x')},
  };
  return files;
}

}  // namespace

TEST_CASE("payload trailer round trip and rejection", "[packaging]") {
  PayloadTrailer trailer{123, 456, std::string(64, 'a')};
  std::string bytes = encode_payload_trailer(trailer);
  REQUIRE(bytes.size() == kPayloadTrailerSize);
  auto decoded = decode_payload_trailer(bytes);
  REQUIRE(decoded);
  CHECK(decoded->offset == 123);
  CHECK(decoded->size == 456);
  CHECK(decoded->build_id == trailer.build_id);
  bytes[0] = 'X';
  CHECK_FALSE(decode_payload_trailer(bytes));
  CHECK_FALSE(decode_payload_trailer("short"));
  TempDir dir;
  write_file(dir.path() + "/plain", "no trailer here");
  CHECK_FALSE(read_payload_trailer(dir.path() + "/plain"));
  // A trailer pointing past the end of the file is no trailer.
  write_file(dir.path() + "/bad", encode_payload_trailer({0, 1000, std::string(64, 'b')}));
  CHECK_FALSE(read_payload_trailer(dir.path() + "/bad"));
}

TEST_CASE("manifest parsing rejects unsafe paths and bad lines", "[packaging]") {
  auto entries = parse_manifest(manifest_for(sample_files()));
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].path == "bin/tool");
  CHECK(entries[0].mode == 0755);
  CHECK(entries[2].size == 300000);
  std::string hash(64, '0');
  CHECK_THROWS_AS(parse_manifest("bad header\n"), std::invalid_argument);
  CHECK_THROWS_AS(parse_manifest("sky-native-manifest 1\n644 1 " + hash + " ../x\n"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse_manifest("sky-native-manifest 1\n644 1 " + hash + " /etc/x\n"),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse_manifest("sky-native-manifest 1\n648 1 " + hash + " x\n"),
                  std::invalid_argument);
  CHECK(parse_manifest("sky-native-manifest 1\n644 1 " + hash + " a b\n")[0].path == "a b");
}

TEST_CASE("a payload unpacks and verifies; damage is reported", "[packaging]") {
  TempDir dir;
  std::string single = dir.path() + "/sky-native";
  PayloadTrailer trailer = write_single_file(single, sample_files());
  auto read = read_payload_trailer(single);
  REQUIRE(read);
  CHECK(read->build_id == trailer.build_id);
  std::string copy = dir.path() + "/copy";
  REQUIRE(::mkdir(copy.c_str(), 0755) == 0);
  unpack_payload(single, *read, copy, nullptr);
  CHECK(read_file(copy + "/lib/python3.11/os.py") == sample_files()[2].bytes);
  struct stat st {};
  REQUIRE(::stat((copy + "/bin/tool").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  CHECK(verify_copy(copy, trailer.build_id).empty());

  ::unlink((copy + "/bin/tool").c_str());
  write_file(copy + "/lib/python3.11/os.py", "changed");
  auto problems = verify_copy(copy, trailer.build_id);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "missing: bin/tool");
  CHECK(problems[1] == "changed: lib/python3.11/os.py");
  CHECK(verify_copy(copy, std::string(64, 'f')) ==
        std::vector<std::string>{"changed: .sky-native-manifest"});
}

TEST_CASE("files added to a copy are reported, links not followed", "[packaging]") {
  TempDir dir;
  std::string single = dir.path() + "/sky-native";
  PayloadTrailer trailer = write_single_file(single, sample_files());
  std::string copy = dir.path() + "/copy";
  REQUIRE(::mkdir(copy.c_str(), 0755) == 0);
  unpack_payload(single, trailer, copy, nullptr);
  REQUIRE(verify_copy(copy, trailer.build_id).empty());
  write_file(copy + "/lib/python3.11/extra.pth", "import os\n");
  REQUIRE(::mkdir((copy + "/lib/python3.11/__pycache__").c_str(), 0755) == 0);
  write_file(copy + "/lib/python3.11/__pycache__/os.cpython-311.pyc", "");
  REQUIRE(::symlink("/etc", (copy + "/bin/etc").c_str()) == 0);
  write_file(copy + "/top.py", "");
  CHECK(verify_copy(copy, trailer.build_id) ==
        std::vector<std::string>{"unlisted: bin/etc", "unlisted: lib/python3.11/__pycache__",
                                 "unlisted: lib/python3.11/extra.pth", "unlisted: top.py"});
}

TEST_CASE("a payload whose manifest is not the build id's is refused", "[packaging]") {
  TempDir dir;
  std::string single = dir.path() + "/sky-native";
  PayloadTrailer trailer = write_single_file(single, sample_files());
  trailer.build_id = std::string(64, 'e');
  CHECK_THROWS_AS(unpack_payload(single, trailer, dir.path(), nullptr), std::runtime_error);
}

TEST_CASE("cache roots follow the documented order", "[packaging]") {
  CacheEnvironment environment;
  environment.uid = 1000;
  environment.home = "/home/u";
  CHECK(cache_roots(environment) ==
        std::vector<std::string>{"/home/u/.cache/sky-native", "/tmp/sky-native-1000"});
  CHECK(cache_roots(environment).back() == private_fallback_root(1000));
  environment.xdg_cache_home = "relative/ignored";
  environment.xdg_runtime_dir = "/run/user/1000";
  CHECK(cache_roots(environment) == std::vector<std::string>{"/home/u/.cache/sky-native",
                                                             "/run/user/1000/sky-native",
                                                             "/tmp/sky-native-1000"});
  environment.xdg_cache_home = "/xdg";
  CHECK(cache_roots(environment)[0] == "/xdg/sky-native");
  environment.sky_native_cache_dir = "/opt/cache";
  CHECK(cache_roots(environment)[0] == "/opt/cache");
  CHECK(copy_name("0.1.0", std::string(64, 'a')) == "0.1.0-aaaaaaaaaaaaaaaa");
}

TEST_CASE("ensure_copy: the preferred root wins over a fallback's copy when usable",
          "[packaging]") {
  TempDir dir;
  // SKY_NATIVE_CACHE_DIR under /tmp, made by someone's mkdir (mode 0755),
  // while the fallback already holds a copy of the same build.
  CacheEnvironment environment;
  environment.uid = ::getuid();
  environment.sky_native_cache_dir = dir.path() + "/chosen";
  REQUIRE(::mkdir(environment.sky_native_cache_dir->c_str(), 0755) == 0);
  std::vector<std::string> roots = cache_roots(environment);
  REQUIRE(roots.front() == *environment.sky_native_cache_dir);
  std::string fallback = dir.path() + "/fallback";
  REQUIRE(::mkdir(fallback.c_str(), 0700) == 0);
  REQUIRE(::mkdir((fallback + "/v-1").c_str(), 0755) == 0);
  roots.back() = fallback;  // stands for /tmp/sky-native-<uid>
  CHECK(unusable_root_reason(roots.front(), environment.uid).empty());
  int writes = 0;
  auto write = [&writes](const std::string& directory) {
    ++writes;
    write_file(directory + "/file", "content");
  };
  auto ok = [](const std::string&) { return std::vector<std::string>{}; };
  CHECK(ensure_copy(roots, "v-1", environment.uid, write, ok, nullptr) == roots.front() + "/v-1");
  CHECK(writes == 1);
  // Warm: the preferred root's copy, without writing again.
  CHECK(ensure_copy(roots, "v-1", environment.uid, write, ok, nullptr) == roots.front() + "/v-1");
  CHECK(writes == 1);
  // A preferred root that cannot hold a copy (a file in the way): the
  // fallback's copy is used.
  std::string blocked = dir.path() + "/blocked";
  write_file(blocked, "");
  CHECK_FALSE(unusable_root_reason(blocked + "/cache", environment.uid).empty());
  CHECK(ensure_copy({blocked + "/cache", fallback}, "v-1", environment.uid, write, ok, nullptr) ==
        fallback + "/v-1");
  CHECK(writes == 1);
}

TEST_CASE("every root, the /tmp fallback included, follows one trust rule", "[packaging]") {
  TempDir dir;
  // The user's own directory, made by someone's mkdir (mode 0755): usable.
  std::string chosen = dir.path() + "/shared";
  REQUIRE(::mkdir(chosen.c_str(), 0755) == 0);
  CHECK(unusable_root_reason(chosen, ::getuid()).empty());
  // Writable by its group: refused, whoever owns it.
  REQUIRE(::chmod(chosen.c_str(), 0775) == 0);
  CHECK(unusable_root_reason(chosen, ::getuid()) == chosen + ": writable by its group (mode 775)");
  CHECK(private_fallback_root(1000) == "/tmp/sky-native-1000");
}

TEST_CASE("ensure_copy: parallel first runs unpack once", "[packaging]") {
  TempDir dir;
  std::string root = dir.path() + "/cache";
  int writes = 0;
  auto write = [&writes](const std::string& directory) {
    ++writes;
    write_file(directory + "/file", "content");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  auto verify = [](const std::string& directory) {
    return read_file(directory + "/file") == "content" ? std::vector<std::string>{}
                                                       : std::vector<std::string>{"bad"};
  };
  std::string first, second;
  std::thread a([&] { first = ensure_copy({root}, "v-1", ::getuid(), write, verify, nullptr); });
  std::thread b([&] { second = ensure_copy({root}, "v-1", ::getuid(), write, verify, nullptr); });
  a.join();
  b.join();
  CHECK(first == root + "/v-1");
  CHECK(second == first);
  CHECK(writes == 1);
  CHECK(find_complete_copy({dir.path() + "/none", root}, "v-1", ::getuid()) == root + "/v-1");
}

TEST_CASE("ensure_copy: a failed unpack leaves nothing complete", "[packaging]") {
  TempDir dir;
  std::string root = dir.path() + "/cache";
  auto write = [](const std::string& directory) { write_file(directory + "/file", "x"); };
  auto broken = [](const std::string&) { return std::vector<std::string>{"changed: file"}; };
  CHECK_THROWS_AS(ensure_copy({root}, "v-1", ::getuid(), write, broken, nullptr),
                  std::runtime_error);
  CHECK_FALSE(find_complete_copy({root}, "v-1", ::getuid()));
  // A read-only root is skipped for the next one.
  std::string readonly = dir.path() + "/ro";
  REQUIRE(::mkdir(readonly.c_str(), 0500) == 0);
  auto ok = [](const std::string&) { return std::vector<std::string>{}; };
  if (::getuid() != 0) {  // root writes anywhere
    CHECK(ensure_copy({readonly, root}, "v-1", ::getuid(), write, ok, nullptr) == root + "/v-1");
  }
}

TEST_CASE("repair swaps in a new copy; clean removes unused ones", "[packaging]") {
  TempDir dir;
  std::string root = dir.path() + "/cache";
  std::string generation = "one";
  auto write = [&generation](const std::string& directory) {
    write_file(directory + "/file", generation);
  };
  auto ok = [](const std::string&) { return std::vector<std::string>{}; };
  std::string copy = ensure_copy({root}, "v-1234567890abcdef", ::getuid(), write, ok, nullptr);
  generation = "two";
  CHECK(repair_copy(root, "v-1234567890abcdef", ::getuid(), write, ok) == copy);
  CHECK(read_file(copy + "/file") == "two");
  REQUIRE(::mkdir((root + "/v-fedcba0987654321").c_str(), 0755) == 0);
  REQUIRE(::mkdir((root + "/unrelated").c_str(), 0755) == 0);
  // An empty fake /proc: nothing is in use.
  std::string proc = dir.path() + "/proc";
  REQUIRE(::mkdir(proc.c_str(), 0755) == 0);
  CleanReport report = remove_unused_copies(root, "v-1234567890abcdef", proc, ::getuid());
  CHECK(report.refused.empty());
  CHECK(report.removed.size() == 2);  // the .old-* copy and the other build
  CHECK(report.not_removed.empty());
  CHECK(find_complete_copy({root}, "v-1234567890abcdef", ::getuid()));
  CHECK(find_complete_copy({root}, "unrelated", ::getuid()));
  // A process whose working directory is in a copy keeps it.
  REQUIRE(::mkdir((root + "/v-0000000000000000").c_str(), 0755) == 0);
  REQUIRE(::mkdir((proc + "/42").c_str(), 0755) == 0);
  REQUIRE(::symlink((root + "/v-0000000000000000").c_str(), (proc + "/42/cwd").c_str()) == 0);
  CHECK(remove_unused_copies(root, "v-1234567890abcdef", proc, ::getuid()).removed.empty());
  CHECK(copy_in_use(root + "/v-0000000000000000", "", proc));
}

TEST_CASE("CA bundle: never override a store that exists", "[packaging]") {
  std::vector<std::string> files;
  std::vector<std::string> directories;
  CaStoreProbe probe;
  probe.is_file = [&files](const std::string& path) {
    return std::find(files.begin(), files.end(), path) != files.end();
  };
  probe.is_nonempty_directory = [&directories](const std::string& path) {
    return std::find(directories.begin(), directories.end(), path) != directories.end();
  };
  CHECK(ca_bundle_to_use(false, "/copy/cacert.pem", probe) == "/copy/cacert.pem");
  files = {"/etc/pki/tls/certs/ca-bundle.crt"};
  CHECK(ca_bundle_to_use(false, "/copy/cacert.pem", probe) == "/etc/pki/tls/certs/ca-bundle.crt");
  CHECK_FALSE(ca_bundle_to_use(true, "/copy/cacert.pem", probe));
  directories = {openssl_default_cert_dir()};
  CHECK_FALSE(ca_bundle_to_use(false, "/copy/cacert.pem", probe));
}
