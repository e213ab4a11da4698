// payload_unpack: writes the files of a payload into a directory.
//
// The payload is one zstd stream; decompressed it is the manifest text
// (see manifest.h) followed by the files' bytes, in manifest order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sky/runtime/single_file/payload_trailer.h"

namespace sky::core {

/// Called now and then with the bytes written so far and the total.
using UnpackProgress = std::function<void(std::uint64_t written, std::uint64_t total)>;

/// Unpacks the payload of the single file `file` into `directory` (which
/// must exist and be empty): every file with its mode, and the manifest as
/// kManifestFileName. Throws OsError on a system error and
/// std::runtime_error when the payload is corrupt or its manifest's hash is
/// not the trailer's build id. Verification of the written files is the
/// caller's (verify_copy).
void unpack_payload(const std::string& file, const PayloadTrailer& trailer,
                    const std::string& directory, const UnpackProgress& progress);

}  // namespace sky::core
