// The command server's vocabulary is written once per language: the C++
// client's (core/runtime/include/sky/runtime/server/protocol.h, launcher/programs.h)
// and the Python server's (modules/python/server_protocol.py). This test
// holds them together: every shared constant compared, and frames
// round-tripped through both codecs, with the embedded module's own copy of
// the Python side. It owns the interpreter, as the bindings tests do.
#define CATCH_CONFIG_RUNNER
#include <pybind11/embed.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "programs.h"
#include "sky/runtime/server/protocol.h"
#include "sky_native/module.h"

namespace py = pybind11;
namespace server = sky::core::server;
using server::MessageKind;

namespace {

py::module_ python_protocol() {
  // The embedded files become importable once the module is installed.
  py::module_::import("sky_native").attr("_install")();
  return py::module_::import("sky_native._server_protocol");
}

py::bytes as_bytes(const std::string& text) { return {text.data(), text.size()}; }

std::vector<std::string> as_strings(const py::list& fields) {
  std::vector<std::string> out;
  for (const py::handle& field : fields) out.push_back(field.cast<std::string>());
  return out;
}

const std::vector<server::Message>& sample_messages() {
  static const std::vector<server::Message> messages = {
      {MessageKind::kRequest,
       {"key", "/home/u", "22", "7:1024:4096", "0", "2", "sky", "status", "HOME=/home/u"}},
      {MessageKind::kStatus, {}},
      {MessageKind::kMismatch, {"malformed request: umask '9'", server::kRespawn}},
      {MessageKind::kStarted, {"12345"}},
      {MessageKind::kExited, {"0"}},
      {MessageKind::kKilled, {"2"}},
      {MessageKind::kInfo, {"", std::string("a\0b\n\xff", 5), std::string(70000, 'x')}},
  };
  return messages;
}

}  // namespace

TEST_CASE("the message kinds have the same letters on both sides", "[server]") {
  py::module_ protocol = python_protocol();
  const std::vector<std::pair<MessageKind, const char*>> kinds = {
      {MessageKind::kRequest, "REQUEST"}, {MessageKind::kStatus, "STATUS"},
      {MessageKind::kStop, "STOP"},       {MessageKind::kMismatch, "MISMATCH"},
      {MessageKind::kStarted, "STARTED"}, {MessageKind::kExited, "EXITED"},
      {MessageKind::kKilled, "KILLED"},   {MessageKind::kInfo, "INFO"}};
  for (const auto& [kind, name] : kinds) {
    INFO(name);
    CHECK(protocol.attr(name).cast<std::string>() == std::string(1, static_cast<char>(kind)));
  }
}

TEST_CASE("the request's layout and the limits are the same on both sides", "[server]") {
  py::module_ protocol = python_protocol();
  const std::vector<std::pair<std::size_t, const char*>> fields = {
      {server::kKeyMaterialField, "KEY_MATERIAL_FIELD"},
      {server::kCwdField, "CWD_FIELD"},
      {server::kUmaskField, "UMASK_FIELD"},
      {server::kLimitsField, "LIMITS_FIELD"},
      {server::kNiceField, "NICE_FIELD"},
      {server::kIgnoredSignalsField, "IGNORED_SIGNALS_FIELD"},
      {server::kBlockedSignalsField, "BLOCKED_SIGNALS_FIELD"},
      {server::kArgcField, "ARGC_FIELD"},
      {server::kFirstArgvField, "FIRST_ARGV_FIELD"}};
  for (const auto& [index, name] : fields) {
    INFO(name);
    CHECK(protocol.attr(name).cast<std::size_t>() == index);
  }
  CHECK(protocol.attr("REQUEST_DESCRIPTORS").cast<std::size_t>() == server::kRequestDescriptors);
  CHECK(protocol.attr("RESPAWN").cast<std::string>() == server::kRespawn);
  CHECK(protocol.attr("MAX_PAYLOAD").cast<std::uint32_t>() == server::kMaxPayload);
  CHECK(protocol.attr("MATERIAL_FD").cast<int>() == server::kMaterialFd);
  CHECK(protocol.attr("DIRECTORY_FD").cast<int>() == server::kDirectoryFd);
  // The client sends every limit getrlimit knows, RLIM_INFINITY unsigned.
  CHECK(protocol.attr("_LAST_RESOURCE").cast<int>() == RLIM_NLIMITS - 1);
  CHECK(protocol.attr("_RLIM_INFINITY_UNSIGNED").cast<std::uint64_t>() ==
        static_cast<std::uint64_t>(RLIM_INFINITY));
}

TEST_CASE("a served command runs the launcher's sky-mode program", "[server]") {
  py::module_ protocol = python_protocol();
  CHECK(protocol.attr("COLD_PROGRAM").cast<std::string>() == sky_native::launcher::kSkyCliProgram);
  CHECK(protocol.attr("CLI_PROGRAM_LINE").cast<std::string>() == server::kCliProgramLine);
  CHECK(protocol.attr("MODULE_PROGRAM_PREFIX").cast<std::string>() == server::kModuleProgramPrefix);
}

TEST_CASE("frames round-trip through the C++ and the Python codec", "[server]") {
  py::module_ protocol = python_protocol();
  for (const server::Message& message : sample_messages()) {
    std::string kind(1, static_cast<char>(message.kind));
    INFO(kind);
    std::string frame = server::encode(message);
    // C++ -> Python: the announced size, then the fields.
    CHECK(protocol.attr("payload_size")(as_bytes(frame.substr(0, 4))).cast<std::size_t>() ==
          frame.size() - 4);
    py::tuple decoded = protocol.attr("decode")(as_bytes(frame.substr(4)));
    CHECK(decoded[0].cast<std::string>() == kind);
    CHECK(as_strings(decoded[1]) == message.fields);
    // Python -> C++: the same bytes, so the same message.
    py::list fields;
    for (const std::string& field : message.fields) fields.append(as_bytes(field));
    std::string python_frame = protocol.attr("encode")(kind, *fields).cast<std::string>();
    CHECK(python_frame == frame);
    server::Message back = server::decode_payload(python_frame.substr(4));
    CHECK(back.kind == message.kind);
    CHECK(back.fields == message.fields);
  }
}

TEST_CASE("both codecs refuse the same malformed frames", "[server]") {
  py::module_ protocol = python_protocol();
  py::object value_error = py::module_::import("builtins").attr("ValueError");
  auto python_refuses = [&](const char* function, const std::string& bytes) {
    try {
      protocol.attr(function)(as_bytes(bytes));
    } catch (py::error_already_set& error) {
      return error.matches(value_error);
    }
    return false;
  };
  // A field's length cut short, and a field running past the payload.
  const std::string cut_length("R\x01\x00", 3);
  const std::string past_end = std::string("X\x05\x00\x00\x00", 5) + "ab";
  for (const std::string& payload : {cut_length, past_end}) {
    CHECK_THROWS_AS(server::decode_payload(payload), std::invalid_argument);
    CHECK(python_refuses("decode", payload));
  }
  // Frame lengths: none, and one past the largest payload.
  for (std::uint32_t size : {0U, server::kMaxPayload + 1}) {
    std::string header(4, '\0');
    for (int i = 0; i < 4; ++i)
      header[static_cast<std::size_t>(i)] = static_cast<char>(size >> (8 * i));
    CHECK(python_refuses("payload_size", header));
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    REQUIRE(::write(pair[1], header.data(), header.size()) == 4);
    CHECK_THROWS_AS(server::receive_message(pair[0]), std::invalid_argument);
    ::close(pair[0]);
    ::close(pair[1]);
  }
}

int main(int argc, char* argv[]) {
  PyImport_AppendInittab("sky_native", PyInit_sky_native);
  try {
    py::scoped_interpreter interpreter;
    return Catch::Session().run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sky_native_server_vocabulary_tests: %s\n", error.what());
    return 1;
  }
}
