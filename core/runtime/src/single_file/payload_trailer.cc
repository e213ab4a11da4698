#include "sky/runtime/single_file/payload_trailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace sky::core {
namespace {

constexpr char kMagic[] = "SKYNATIVE-PAYLD1";
constexpr std::size_t kMagicSize = 16;
constexpr std::size_t kBuildIdSize = 64;

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_u64(const std::string& bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  }
  return value;
}

bool is_lower_hex(const std::string& text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string encode_payload_trailer(const PayloadTrailer& trailer) {
  std::string out(kMagic, kMagicSize);
  put_u64(out, trailer.offset);
  put_u64(out, trailer.size);
  out += trailer.build_id;
  out.resize(kPayloadTrailerSize, '\0');
  return out;
}

std::optional<PayloadTrailer> decode_payload_trailer(const std::string& bytes) {
  if (bytes.size() != kPayloadTrailerSize || bytes.compare(0, kMagicSize, kMagic) != 0) {
    return std::nullopt;
  }
  PayloadTrailer trailer;
  trailer.offset = get_u64(bytes, kMagicSize);
  trailer.size = get_u64(bytes, kMagicSize + 8);
  trailer.build_id = bytes.substr(kMagicSize + 16, kBuildIdSize);
  if (!is_lower_hex(trailer.build_id)) return std::nullopt;
  return trailer;
}

std::optional<PayloadTrailer> read_payload_trailer(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string bytes(kPayloadTrailerSize, '\0');
  bool read_ok = ::fstat(fd, &st) == 0 &&
                 static_cast<std::uint64_t>(st.st_size) >= kPayloadTrailerSize &&
                 ::pread(fd, bytes.data(), kPayloadTrailerSize,
                         st.st_size - static_cast<off_t>(kPayloadTrailerSize)) ==
                     static_cast<ssize_t>(kPayloadTrailerSize);
  ::close(fd);
  if (!read_ok) return std::nullopt;
  auto trailer = decode_payload_trailer(bytes);
  std::uint64_t end_of_payload = static_cast<std::uint64_t>(st.st_size) - kPayloadTrailerSize;
  if (!trailer || trailer->offset > end_of_payload ||
      trailer->size > end_of_payload - trailer->offset) {
    return std::nullopt;
  }
  return trailer;
}

}  // namespace sky::core
