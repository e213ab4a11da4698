#include "sky/core/file_hash.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sky/core/errors.h"
#include "unprivileged.h"

namespace {

using sky::core::Hasher;

// A temporary file holding `bytes`, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    std::string pattern = "/tmp/sky_file_hash_XXXXXX";
    int fd = mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string hex_of_file(const std::string& bytes, const std::string& algorithm) {
  TempFile file(bytes);
  return sky::core::hash_file(file.path(), algorithm).hexdigest();
}

}  // namespace

TEST_CASE("hash_file: known vectors", "[file_hash]") {
  CHECK(hex_of_file("", "MD5") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex_of_file("abc", "MD5") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex_of_file("", "SHA1") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(hex_of_file("", "SHA256") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of_file("abc", "SHA256") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of_file("abc", "SHA512") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(hex_of_file("", "SHA3-256") ==
        "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  CHECK(hex_of_file("abc", "BLAKE2S-256") ==
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  CHECK(hex_of_file("x", "MD5") == "9dd4e461268c8034f5c8564e155c67a6");  // one byte
}

TEST_CASE("hash_file: larger than a block equals one-shot", "[file_hash]") {
  std::string data;
  for (int i = 0; i < 3 * 262144 + 17; ++i) data += static_cast<char>((i * 131) & 0xff);
  Hasher one_shot("SHA256");
  one_shot.update(data.data(), data.size());
  CHECK(hex_of_file(data, "SHA256") == one_shot.hexdigest());
  // "a" * 1,000,000: the FIPS 180 long vector, spans several blocks.
  CHECK(hex_of_file(std::string(1000000, 'a'), "SHA256") ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("Hasher: sizes, copy and digest keep state", "[file_hash]") {
  Hasher h("SHA256");
  CHECK(h.digest_size() == 32);
  CHECK(h.block_size() == 64);
  h.update("ab", 2);
  Hasher copy(h);
  h.update("c", 1);
  CHECK(h.hexdigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(h.hexdigest() == h.hexdigest());  // digest does not finalise the hasher
  CHECK(copy.hexdigest() == "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
  copy.update("c", 1);
  CHECK(copy.digest() == h.digest());
  CHECK(h.digest().size() == 32);
  Hasher blake("BLAKE2B-512");
  CHECK(blake.digest_size() == 64);
  CHECK(blake.block_size() == 128);
  Hasher md5sha1("MD5-SHA1");
  CHECK(md5sha1.digest_size() == 36);
}

TEST_CASE("Hasher: unknown and extendable-output names are refused", "[file_hash]") {
  CHECK_THROWS_AS(Hasher("foo"), std::invalid_argument);
  CHECK_THROWS_AS(Hasher("SHAKE128"), std::invalid_argument);
  CHECK_THROWS_WITH(Hasher("foo"), "unsupported hash type foo");
}

TEST_CASE("openssl_digest_name: hashlib names", "[file_hash]") {
  CHECK(sky::core::openssl_digest_name("sha256") == "SHA256");
  CHECK(sky::core::openssl_digest_name("sha512_224") == "SHA512-224");
  CHECK(sky::core::openssl_digest_name("blake2b") == "BLAKE2B-512");
  CHECK(sky::core::openssl_digest_name("shake_128").empty());
  CHECK(sky::core::openssl_digest_name("undefined").empty());
  CHECK(sky::core::openssl_digest_name("SHA256").empty());  // hashlib names are lower case
  for (const char* name : {"md5", "sha1", "sha224", "sha384", "sha512_256", "sha3_224", "sha3_384",
                           "sha3_512", "blake2s", "sm3", "md5-sha1", "ripemd160"}) {
    INFO(name);
    CHECK_NOTHROW(Hasher(sky::core::openssl_digest_name(name)));
  }
}

TEST_CASE("hash_file: errors, open before the algorithm", "[file_hash]") {
  try {
    sky::core::hash_file("/nonexistent/sky/file", "no-such-digest");
    FAIL("no error");
  } catch (const sky::core::OsError& e) {
    CHECK(e.error_number() == ENOENT);
    CHECK(std::string(e.what()) == "[Errno 2] No such file or directory: '/nonexistent/sky/file'");
  }
  try {
    sky::core::hash_file("/proc", "MD5");
    FAIL("no error");
  } catch (const sky::core::OsError& e) {
    CHECK(e.error_number() == EISDIR);
    CHECK(std::string(e.what()) == "[Errno 21] Is a directory: '/proc'");
  }
  TempFile file("data");
  CHECK_THROWS_AS(sky::core::hash_file(file.path(), "no-such-digest"), std::invalid_argument);
  ::chmod(file.path().c_str(), 0);
  CHECK(sky_native_test::os_error_without_privileges(
            [&] { sky::core::hash_file(file.path(), "MD5"); }) == EACCES);
}
