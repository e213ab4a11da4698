#include "sky/runtime/single_file/manifest_digest.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sky::core {

struct Hasher::State {
  EVP_MD_CTX* context = nullptr;
  EVP_MD* algorithm = nullptr;  // fetched: owned, freed with the state

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    EVP_MD_CTX_free(context);
    EVP_MD_free(algorithm);
  }
};

namespace {

[[noreturn]] void throw_openssl(const char* what) {
  throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

}  // namespace

Hasher::Hasher(const std::string& openssl_name) : state_(std::make_unique<State>()) {
  // EVP_MD_fetch, as CPython's _hashlib does on OpenSSL 3 (same providers).
  state_->algorithm = EVP_MD_fetch(nullptr, openssl_name.c_str(), nullptr);
  if (state_->algorithm == nullptr ||
      (EVP_MD_get_flags(state_->algorithm) & EVP_MD_FLAG_XOF) != 0 ||
      EVP_MD_get_size(state_->algorithm) <= 0) {
    throw std::invalid_argument("unsupported hash type " + openssl_name);
  }
  state_->context = EVP_MD_CTX_new();
  if (state_->context == nullptr) throw std::bad_alloc();
  if (EVP_DigestInit_ex(state_->context, state_->algorithm, nullptr) != 1) {
    throw_openssl("EVP_DigestInit_ex");
  }
}

Hasher::Hasher(const Hasher& other) : state_(std::make_unique<State>()) {
  if (EVP_MD_up_ref(other.state_->algorithm) != 1) throw_openssl("EVP_MD_up_ref");
  state_->algorithm = other.state_->algorithm;
  state_->context = EVP_MD_CTX_new();
  if (state_->context == nullptr) throw std::bad_alloc();
  if (EVP_MD_CTX_copy_ex(state_->context, other.state_->context) != 1) {
    throw_openssl("EVP_MD_CTX_copy_ex");
  }
}

Hasher& Hasher::operator=(const Hasher& other) {
  if (this != &other) *this = Hasher(other);
  return *this;
}

Hasher::Hasher(Hasher&& other) noexcept = default;
Hasher& Hasher::operator=(Hasher&& other) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(const void* data, std::size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(state_->context, data, size) != 1) throw_openssl("EVP_DigestUpdate");
}

std::string Hasher::digest() const {
  Hasher finishing(*this);
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(finishing.state_->context, bytes.data(), &length) != 1) {
    throw_openssl("EVP_DigestFinal_ex");
  }
  return std::string(reinterpret_cast<const char*>(bytes.data()), length);
}

std::string Hasher::hexdigest() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw = digest();
  std::string hex(raw.size() * 2, '0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto byte = static_cast<unsigned char>(raw[i]);
    hex[2 * i] = kHex[byte >> 4];
    hex[2 * i + 1] = kHex[byte & 0x0f];
  }
  return hex;
}

std::size_t Hasher::digest_size() const {
  return static_cast<std::size_t>(EVP_MD_get_size(state_->algorithm));
}

std::size_t Hasher::block_size() const {
  return static_cast<std::size_t>(EVP_MD_get_block_size(state_->algorithm));
}

}  // namespace sky::core
