#include "sky/runtime/single_file/ca_bundle.h"

#include <dirent.h>
#include <openssl/x509.h>
#include <sys/stat.h>

namespace sky::core {

const std::vector<std::string>& host_ca_bundles() {
  static const std::vector<std::string> bundles = {
      "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Alpine, Gentoo
      "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL, CentOS
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
      "/etc/ssl/ca-bundle.pem",                             // openSUSE, SLES
      "/var/lib/ca-certificates/ca-bundle.pem",             // openSUSE
      "/etc/ssl/cert.pem",                                  // Alpine, Arch
  };
  return bundles;
}

std::string openssl_default_cert_file() { return X509_get_default_cert_file(); }
std::string openssl_default_cert_dir() { return X509_get_default_cert_dir(); }

std::optional<std::string> ca_bundle_to_use(bool user_set, const std::string& bundled,
                                            const CaStoreProbe& probe) {
  if (user_set || probe.is_file(openssl_default_cert_file()) ||
      probe.is_nonempty_directory(openssl_default_cert_dir())) {
    return std::nullopt;
  }
  for (const std::string& bundle : host_ca_bundles()) {
    if (probe.is_file(bundle)) return bundle;
  }
  return bundled;
}

CaStoreProbe host_ca_store_probe() {
  CaStoreProbe probe;
  probe.is_file = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  };
  probe.is_nonempty_directory = [](const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return false;
    int entries = 0;
    while (::readdir(dir) != nullptr && entries < 3) ++entries;
    ::closedir(dir);
    return entries > 2;  // more than "." and ".."
  };
  return probe;
}

}  // namespace sky::core
