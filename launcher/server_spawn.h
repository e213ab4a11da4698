// Starting a command server for next time, after a client found none for
// its key (or was told to start a fresh one).
#pragma once

#include <string>

#include "sky/runtime/server/protocol.h"

namespace sky_native::launcher {

/// Starts a detached server for the key `key_name` (its own session, stdio
/// to a fresh NAME.log in the socket directory) and returns at once: this
/// binary re-executed as `executable --native-server serve DIRECTORY/NAME.sock`
/// (argv[0] `executable`, as sys.executable must be), with the key material
/// on kMaterialFd and the socket directory on kDirectoryFd, every signal at
/// its default and none blocked. `unbuffered`: its standard streams are
/// made as `-u` makes them (PYTHONUNBUFFERED=1 in its own environment; each
/// command gets the client's), since a command keeps the server's.
void spawn_server(const std::string& executable,
                  const sky::core::server::SocketDirectory& directory, const std::string& key_name,
                  const std::string& material, bool unbuffered);

}  // namespace sky_native::launcher
