// The Python programs the launcher hands CPython as its run_command, one
// per mode that runs one (Python mode runs what its command line names).
#pragma once

namespace sky_native::launcher {

/// Sky mode: what SkyPilot's `sky` console script does. Both drop the
/// binary's directory from sys.path before they import anything (see
/// _cli.drop_program_directory). The command server's children run the same
/// program (COLD_PROGRAM in modules/python/server_protocol.py; the two are
/// compared by tests/launcher/server_vocabulary_test.cc).
inline constexpr const char* kSkyCliProgram = "import sky_native._cli as _cli\n_cli.main()\n";

/// The AWS CLI (a program named `aws`): what awscli's `aws` script does.
/// SkyPilot's AWS check runs `aws --version` and `aws configure list` from
/// PATH, so an `aws` link to sky-native stands for the awscli the payload
/// carries.
inline constexpr const char* kAwsCliProgram = "import sky_native._cli as _cli\n_cli.aws_main()\n";

/// The installation check (--native-info).
inline constexpr const char* kNativeInfoProgram =
    "import sky_native._cli as _cli\n_cli.drop_program_directory()\n"
    "import sky_native._native_info as _info\n_info.main()\n";

/// The command server process (`--native-server serve SOCKET`; see
/// modules/python/server.py): sys.argv[3] is SOCKET.
inline constexpr const char* kServeProgram =
    "import sys\nimport sky_native._cli as _cli\n_cli.drop_program_directory()\n"
    "import sky_native._server as _server\n_server.serve(sys.argv[3])\n";

}  // namespace sky_native::launcher
