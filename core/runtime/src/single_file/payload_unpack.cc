#include "sky/runtime/single_file/payload_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/runtime/single_file/manifest.h"

namespace sky::core {
namespace {

constexpr std::size_t kChunkSize = 1 << 20;

[[noreturn]] void corrupt(const std::string& why) {
  throw std::runtime_error("sky-native: the payload is corrupt: " + why);
}

// Consumes the decompressed stream: "<manifest length>\n", the manifest,
// then each file's bytes.
class PayloadWriter {
 public:
  PayloadWriter(std::string directory, std::string build_id, UnpackProgress progress)
      : directory_(std::move(directory)),
        build_id_(std::move(build_id)),
        progress_(std::move(progress)) {}
  PayloadWriter(const PayloadWriter&) = delete;
  PayloadWriter& operator=(const PayloadWriter&) = delete;
  ~PayloadWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  void consume(const char* data, std::size_t size) {
    while (size > 0) {
      if (!have_manifest_) {
        std::size_t used = read_header(data, size);
        data += used;
        size -= used;
        continue;
      }
      if (next_ >= entries_.size()) corrupt("data after the last file");
      if (fd_ < 0) open_next();
      const ManifestEntry& entry = entries_[next_];
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(size, entry.size - written_in_file_));
      if (!write_all(fd_, data, take)) throw_os_error(entry.path);
      data += take;
      size -= take;
      written_in_file_ += take;
      written_ += take;
      if (written_in_file_ == entry.size) close_current();
      if (progress_ && written_ - reported_ >= (8U << 20)) {
        reported_ = written_;
        progress_(written_, total_);
      }
    }
    // Empty files at the end need no bytes.
    while (have_manifest_ && next_ < entries_.size() && entries_[next_].size == 0) {
      open_next();
      close_current();
    }
  }

  void finish() {
    if (!have_manifest_ || next_ != entries_.size()) corrupt("truncated");
    if (progress_) progress_(written_, total_);
  }

 private:
  std::size_t read_header(const char* data, std::size_t size) {
    std::size_t used = 0;
    while (used < size && !have_manifest_) {
      char c = data[used++];
      if (manifest_length_ == 0) {
        if (c != '\n') {
          if (c < '0' || c > '9' || length_text_.size() > 12) corrupt("bad header");
          length_text_.push_back(c);
          continue;
        }
        if (length_text_.empty()) corrupt("bad header");
        manifest_length_ = std::stoull(length_text_);
        continue;
      }
      manifest_.push_back(c);
      if (manifest_.size() == manifest_length_) accept_manifest();
    }
    return used;
  }

  void accept_manifest() {
    if (sha256_hex(manifest_) != build_id_) corrupt("manifest does not match the build id");
    try {
      entries_ = parse_manifest(manifest_);
    } catch (const std::invalid_argument& e) {
      corrupt(e.what());
    }
    for (const ManifestEntry& entry : entries_) total_ += entry.size;
    std::string path = directory_ + "/" + kManifestFileName;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) throw_os_error(path);
    if (!write_all(fd, manifest_.data(), manifest_.size())) throw_os_error(path);
    ::close(fd);
    have_manifest_ = true;
    while (next_ < entries_.size() && entries_[next_].size == 0) {
      open_next();
      close_current();
    }
  }

  void make_parents(const std::string& relative) {
    std::size_t slash = 0;
    while ((slash = relative.find('/', slash)) != std::string::npos) {
      std::string parent = relative.substr(0, slash++);
      if (!created_.insert(parent).second) continue;
      std::string path = directory_ + "/" + parent;
      if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_os_error(path);
    }
  }

  void open_next() {
    const ManifestEntry& entry = entries_[next_];
    make_parents(entry.path);
    std::string path = directory_ + "/" + entry.path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) throw_os_error(path);
    written_in_file_ = 0;
  }

  void close_current() {
    const ManifestEntry& entry = entries_[next_];
    std::string path = directory_ + "/" + entry.path;
    if (::fchmod(fd_, entry.mode) != 0) throw_os_error(path);
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw_os_error(path);
    }
    fd_ = -1;
    ++next_;
  }

  std::string directory_;
  std::string build_id_;
  UnpackProgress progress_;
  std::string length_text_;
  std::uint64_t manifest_length_ = 0;
  std::string manifest_;
  bool have_manifest_ = false;
  std::vector<ManifestEntry> entries_;
  std::set<std::string> created_;
  std::size_t next_ = 0;
  int fd_ = -1;
  std::uint64_t written_in_file_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t reported_ = 0;
  std::uint64_t total_ = 0;
};

struct DStreamDeleter {
  void operator()(ZSTD_DStream* stream) const { ZSTD_freeDStream(stream); }
};

}  // namespace

void unpack_payload(const std::string& file, const PayloadTrailer& trailer,
                    const std::string& directory, const UnpackProgress& progress) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_os_error(file);
  std::unique_ptr<ZSTD_DStream, DStreamDeleter> stream(ZSTD_createDStream());
  PayloadWriter writer(directory, trailer.build_id, progress);
  std::vector<char> in(kChunkSize);
  std::vector<char> out(ZSTD_DStreamOutSize());
  std::uint64_t remaining = trailer.size;
  auto offset = static_cast<off_t>(trailer.offset);
  std::size_t last_result = 1;
  try {
    while (remaining > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in.size()));
      ssize_t got = retry_on_eintr([&] { return ::pread(fd, in.data(), want, offset); });
      if (got < 0) throw_os_error(file);
      if (got == 0) corrupt("the file ends inside the payload");
      offset += got;
      remaining -= static_cast<std::uint64_t>(got);
      ZSTD_inBuffer input{in.data(), static_cast<std::size_t>(got), 0};
      while (input.pos < input.size) {
        ZSTD_outBuffer output{out.data(), out.size(), 0};
        last_result = ZSTD_decompressStream(stream.get(), &output, &input);
        if (ZSTD_isError(last_result) != 0U) corrupt(ZSTD_getErrorName(last_result));
        writer.consume(out.data(), output.pos);
      }
    }
    // Flush what the decoder still holds (the frame is not finished).
    while (last_result != 0) {
      ZSTD_inBuffer input{nullptr, 0, 0};
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      last_result = ZSTD_decompressStream(stream.get(), &output, &input);
      if (ZSTD_isError(last_result) != 0U) corrupt(ZSTD_getErrorName(last_result));
      writer.consume(out.data(), output.pos);
      if (output.pos == 0) break;
    }
    if (last_result != 0) corrupt("the zstd stream is truncated");
    writer.finish();
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace sky::core
