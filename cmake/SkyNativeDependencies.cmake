# Third-party packages, all from Debian bookworm. The interpreter found here
# is the one embedded and the one the .venv (SkyPilot) is made from.
if(NOT Python3_EXECUTABLE)
  set(Python3_EXECUTABLE /usr/bin/python3.11)
endif()
find_package(Python3 3.11 EXACT REQUIRED COMPONENTS Interpreter Development.Embed)

set(PYBIND11_FINDPYTHON ON)
find_package(pybind11 2.10 CONFIG REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)

if(SKY_NATIVE_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
if(SKY_NATIVE_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
