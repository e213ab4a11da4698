#include "sky/runtime/single_file/manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sky/runtime/single_file/manifest_digest.h"

namespace sky::core {
namespace {

constexpr const char* kHeader = "sky-native-manifest 1";

bool safe_relative_path(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") return false;
    start = end + 1;
  }
  return true;
}

constexpr std::size_t kReadSize = 256 << 10;
// Enough threads to keep the disk and the cores busy; few files are large.
constexpr unsigned kMaxVerifyThreads = 8;

// The SHA-256 of a file, or "" when it cannot be read. `buffer` is reused
// from file to file: a fresh one each time costs more than the hashing.
std::string file_sha256(const std::string& path, std::vector<char>& buffer) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  Hasher hasher("SHA256");
  ssize_t count = 0;
  while ((count = ::read(fd, buffer.data(), buffer.size())) > 0) {
    hasher.update(buffer.data(), static_cast<std::size_t>(count));
  }
  ::close(fd);
  return count < 0 ? "" : hasher.hexdigest();
}

// "" when the file matches its entry, else the problem.
std::string check_entry(const std::string& directory, const ManifestEntry& entry,
                        std::vector<char>& buffer) {
  std::string path = directory + "/" + entry.path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "missing: " + entry.path;
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != entry.size ||
      (st.st_mode & 07777U) != entry.mode || file_sha256(path, buffer) != entry.sha256) {
    return "changed: " + entry.path;
  }
  return "";
}

// Adds to `unlisted` ("unlisted: PATH") every entry under the directory
// `fd` (the copy's `prefix`) that is neither a listed file nor a directory
// holding one; links are reported, never followed. Closes `fd`.
void find_unlisted(int fd, const std::string& prefix, const std::set<std::string>& files,
                   const std::set<std::string>& directories, std::vector<std::string>* unlisted) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    unlisted->push_back("unreadable: " + (prefix.empty() ? "." : prefix));
    return;
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = prefix;
    if (!path.empty()) path += '/';
    path += name;
    if (files.count(path) != 0 || (prefix.empty() && name == kManifestFileName)) continue;
    if (directories.count(path) == 0) {
      unlisted->push_back("unlisted: " + path);
      continue;
    }
    int child =
        ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
      unlisted->push_back("changed: " + path);  // a listed directory that is not one
      continue;
    }
    find_unlisted(child, path, files, directories, unlisted);
  }
  ::closedir(dir);
}

// Every entry of the copy the manifest does not list, sorted.
std::vector<std::string> unlisted_entries(const std::string& directory,
                                          const std::vector<ManifestEntry>& entries) {
  std::set<std::string> files;
  std::set<std::string> directories;
  for (const ManifestEntry& entry : entries) {
    files.insert(entry.path);
    for (std::size_t slash = entry.path.find('/'); slash != std::string::npos;
         slash = entry.path.find('/', slash + 1)) {
      directories.insert(entry.path.substr(0, slash));
    }
  }
  std::vector<std::string> unlisted;
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {"unreadable: ."};
  find_unlisted(fd, "", files, directories, &unlisted);
  std::sort(unlisted.begin(), unlisted.end());
  return unlisted;
}

}  // namespace

std::vector<ManifestEntry> parse_manifest(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line) || line != kHeader) {
    throw std::invalid_argument("manifest: bad header");
  }
  std::vector<ManifestEntry> entries;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    ManifestEntry entry;
    std::string mode;
    fields >> mode >> entry.size >> entry.sha256;
    if (!fields || fields.get() != ' ' || mode.empty() ||
        mode.find_first_not_of("01234567") != std::string::npos || entry.sha256.size() != 64) {
      throw std::invalid_argument("manifest: bad line: " + line);
    }
    entry.mode = static_cast<unsigned>(std::stoul(mode, nullptr, 8)) & 07777U;
    std::getline(fields, entry.path);
    if (!safe_relative_path(entry.path)) {
      throw std::invalid_argument("manifest: unsafe path: " + entry.path);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string sha256_hex(const std::string& bytes) {
  Hasher hasher("SHA256");
  hasher.update(bytes.data(), bytes.size());
  return hasher.hexdigest();
}

std::vector<std::string> verify_copy(const std::string& directory, const std::string& build_id) {
  std::ifstream input(directory + "/" + kManifestFileName, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  if (!input.good() && !input.eof()) return {"missing: " + std::string(kManifestFileName)};
  if (text.empty() || sha256_hex(text) != build_id) {
    return {"changed: " + std::string(kManifestFileName)};
  }
  std::vector<ManifestEntry> entries = parse_manifest(text);
  // Files are checked on several threads (each takes the next unchecked
  // one); problems are reported in manifest order.
  std::vector<std::string> results(entries.size());
  std::atomic<std::size_t> next{0};
  auto check = [&] {
    std::vector<char> buffer(kReadSize);
    for (std::size_t i = next++; i < entries.size(); i = next++) {
      results[i] = check_entry(directory, entries[i], buffer);
    }
  };
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1U, kMaxVerifyThreads);
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back(check);
  check();
  for (std::thread& worker : workers) worker.join();
  std::vector<std::string> problems;
  for (std::string& result : results) {
    if (!result.empty()) problems.push_back(std::move(result));
  }
  for (std::string& extra : unlisted_entries(directory, entries)) {
    problems.push_back(std::move(extra));
  }
  return problems;
}

}  // namespace sky::core
