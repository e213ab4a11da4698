#include "single_file.h"

#include <Python.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sky/common/posix.h"
#include "sky/runtime/single_file/ca_bundle.h"
#include "sky/runtime/single_file/copy_cache.h"
#include "sky/runtime/single_file/manifest.h"
#include "sky/runtime/single_file/payload_trailer.h"
#include "sky/runtime/single_file/payload_unpack.h"

namespace sky_native::launcher {
namespace {

constexpr const char* kVersion = SKY_NATIVE_VERSION;

struct Payload {
  std::string self;
  sky::core::PayloadTrailer trailer;
};

std::optional<Payload> own_payload() {
#ifdef SKY_NATIVE_PACKAGED
  std::string self = sky::core::self_exe();
  if (auto trailer = sky::core::read_payload_trailer(self)) return Payload{self, *trailer};
#endif
  return std::nullopt;
}

sky::core::CopyWriter writer_for(const Payload& payload, bool show_progress) {
  return [payload, show_progress](const std::string& directory) {
    sky::core::UnpackProgress progress;
    if (show_progress) {
      progress = [](std::uint64_t written, std::uint64_t total) {
        std::fprintf(stderr, "\r  %3d%%",
                     total > 0 ? static_cast<int>(written * 100 / total) : 100);
      };
    }
    sky::core::unpack_payload(payload.self, payload.trailer, directory, progress);
    if (show_progress) std::fputs("\n", stderr);
  };
}

sky::core::CopyVerifier verifier_for(const Payload& payload) {
  return [build_id = payload.trailer.build_id](const std::string& directory) {
    return sky::core::verify_copy(directory, build_id);
  };
}

// Where a build's copy may be: its name, the environment that picks the
// roots, and the roots in order of preference.
struct CacheLocation {
  std::string name;
  sky::core::CacheEnvironment environment;
  std::vector<std::string> roots;
};

CacheLocation cache_of(const Payload& payload) {
  auto environment = sky::core::current_cache_environment();
  auto roots = sky::core::cache_roots(environment);
  return {sky::core::copy_name(kVersion, payload.trailer.build_id), std::move(environment),
          std::move(roots)};
}

void print_notice(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

// A launcher written by strip_payload.py (the image's /usr/bin/sky-native)
// carries the trailer of its build with an empty payload: it runs the tree
// installed beside it (unpacked at build time) in place and can write none.
bool payload_stripped(const Payload& payload) { return payload.trailer.size == 0; }

}  // namespace

std::optional<PackagedCopy> prepare_packaged_copy() {
  auto payload = own_payload();
  if (!payload) return std::nullopt;
  auto [name, environment, roots] = cache_of(*payload);
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  if (payload_stripped(*payload)) {
    auto found = sky::core::find_complete_copy(roots, name, environment.uid, print_notice);
    if (!found) {
      std::fprintf(stderr,
                   "sky-native: %s carries no payload and its tree %s is not installed in "
                   "$SKY_NATIVE_CACHE_DIR (%s)\n",
                   payload->self.c_str(), name.c_str(),
                   environment.sky_native_cache_dir.value_or("unset").c_str());
      std::exit(1);
    }
    return PackagedCopy{payload->self, payload->trailer.build_id, *found};
  }
  try {
    // The warm path: the preferred root and the copy pass the trust rule.
    std::string directory = sky::core::ensure_copy(
        roots, name, environment.uid, writer_for(*payload, terminal), verifier_for(*payload),
        [terminal](const std::string& target) {
          if (terminal) {
            std::fprintf(stderr, "sky-native: unpacking into %s (first run only)\n",
                         target.c_str());
          }
        },
        print_notice);
    return PackagedCopy{payload->self, payload->trailer.build_id, directory};
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::exit(1);
  }
}

bool has_payload() { return own_payload().has_value(); }

int repair_packaged_copy() {
  auto payload = own_payload();
  if (!payload) return 1;  // not the single file: never selected (see select_mode)
  auto [name, environment, roots] = cache_of(*payload);
  try {
    if (payload_stripped(*payload)) {
      throw std::runtime_error("sky-native: " + payload->self +
                               " carries no payload to repair from; reinstall the image");
    }
    // Where the copy is; else where a first run would put it.
    std::string root;
    if (auto found = sky::core::find_complete_copy(roots, name, environment.uid, print_notice)) {
      root = found->substr(0, found->size() - name.size() - 1);
    } else {
      for (const std::string& candidate : roots) {
        if (sky::core::unusable_root_reason(candidate, environment.uid).empty()) {
          root = candidate;
          break;
        }
      }
    }
    if (root.empty()) throw std::runtime_error("sky-native: no usable cache directory");
    std::string directory = sky::core::repair_copy(
        root, name, environment.uid, writer_for(*payload, false), verifier_for(*payload));
    std::printf("repaired: %s\n", directory.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}

int clean_packaged_copies() {
  auto payload = own_payload();
  if (!payload) return 1;  // not the single file: never selected (see select_mode)
  auto [name, environment, roots] = cache_of(*payload);
  try {
    int code = 0;
    for (const std::string& root : roots) {
      auto report = sky::core::remove_unused_copies(root, name, "/proc", environment.uid);
      if (!report.refused.empty()) {
        std::fprintf(stderr, "not cleaned (refused): %s\n", report.refused.c_str());
      }
      for (const std::string& path : report.removed) std::printf("removed: %s\n", path.c_str());
      for (const std::string& failure : report.not_removed) {
        std::fprintf(stderr, "not removed: %s\n", failure.c_str());
        code = 1;
      }
    }
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}

void configure_tls(const PackagedCopy& copy) {
  bool user_set = std::getenv("SSL_CERT_FILE") != nullptr || std::getenv("SSL_CERT_DIR") != nullptr;
  auto bundle = sky::core::ca_bundle_to_use(
      user_set, copy.directory + "/lib/python3/dist-packages/certifi/cacert.pem",
      sky::core::host_ca_store_probe());
  if (bundle) ::setenv("SSL_CERT_FILE", bundle->c_str(), 1);
}

std::vector<std::string> packaged_search_path(const PackagedCopy& copy) {
  return {copy.directory + "/lib/python3.11", copy.directory + "/lib/python3.11/lib-dynload"};
}

void publish_package_info(const PackagedCopy& copy) {
  std::vector<std::string> problems = sky::core::verify_copy(copy.directory, copy.build_id);
  PyObject* list = PyList_New(0);
  for (const std::string& problem : problems) {
    PyObject* item = PyUnicode_DecodeFSDefault(problem.c_str());
    if (item != nullptr) PyList_Append(list, item);
    Py_XDECREF(item);
  }
  PyObject* info =
      Py_BuildValue("{s:s,s:s,s:s,s:O,s:N}", "single_file", copy.self.c_str(), "cache_dir",
                    copy.directory.c_str(), "build_id", copy.build_id.c_str(), "intact",
                    problems.empty() ? Py_True : Py_False, "problems", list);
  PyObject* module = info != nullptr ? PyImport_ImportModule("sky_native") : nullptr;
  if (module == nullptr || PyObject_SetAttrString(module, "_package", info) != 0) PyErr_Print();
  Py_XDECREF(module);
  Py_XDECREF(info);
}

}  // namespace sky_native::launcher
