// ca_bundle: which CA certificates TLS uses in the single file, whose
// OpenSSL looks for the store where Debian keeps it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sky::core {

/// The CA bundles of the usual distributions, in the order they are tried:
/// Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, then others.
const std::vector<std::string>& host_ca_bundles();

/// OpenSSL's compiled-in default certificate file and directory.
std::string openssl_default_cert_file();
std::string openssl_default_cert_dir();

/// What the filesystem answers, injectable for tests.
struct CaStoreProbe {
  std::function<bool(const std::string&)> is_file;
  std::function<bool(const std::string&)> is_nonempty_directory;
};

/// The file SSL_CERT_FILE should be set to, or nullopt to leave OpenSSL as it
/// is: when SSL_CERT_FILE or SSL_CERT_DIR is set (`user_set`), or OpenSSL's
/// default store exists on this host. Otherwise the first host bundle that
/// exists, else `bundled` (certifi's, inside the copy).
std::optional<std::string> ca_bundle_to_use(bool user_set, const std::string& bundled,
                                            const CaStoreProbe& probe);

/// The probe of the real filesystem.
CaStoreProbe host_ca_store_probe();

}  // namespace sky::core
