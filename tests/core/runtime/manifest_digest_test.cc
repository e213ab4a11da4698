#include "sky/runtime/single_file/manifest_digest.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

namespace {

using sky::core::Hasher;

std::string hex_of(const std::string& bytes, const std::string& algorithm) {
  Hasher hasher(algorithm);
  hasher.update(bytes.data(), bytes.size());
  return hasher.hexdigest();
}

}  // namespace

TEST_CASE("Hasher: known vectors", "[file_hash]") {
  CHECK(hex_of("", "MD5") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex_of("abc", "MD5") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex_of("", "SHA1") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(hex_of("", "SHA256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of("abc", "SHA256") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of("abc", "SHA512") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(hex_of("", "SHA3-256") ==
        "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  CHECK(hex_of("abc", "BLAKE2S-256") ==
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  // "a" * 1,000,000: the FIPS 180 long vector, fed in pieces.
  Hasher pieces("SHA256");
  std::string block(1000, 'a');
  for (int i = 0; i < 1000; ++i) pieces.update(block.data(), block.size());
  CHECK(pieces.hexdigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
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
