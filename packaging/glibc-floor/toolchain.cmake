# Builds for an older glibc than the build machine's: the host's GCC with
# the headers and libraries of a Debian root (SKY_NATIVE_SYSROOT, made by
# packaging/debian_root.sh), so that every glibc symbol is bound
# to the version that root's glibc has. The C++ standard library is the
# host GCC's (C++17 as the rest of the project is built with: the root's
# GCC 10 has no floating-point std::to_chars), linked statically: the
# root's libstdc++ is older than the host GCC's headers. libgcc_s stays
# shared, so that a thread's forced unwind (pthread_exit) runs one
# unwinder with the personality routines linked in. compat.cc supplies the
# glibc symbols that the static libstdc++ refers to and the root's glibc
# lacks.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=packaging/glibc-floor/toolchain.cmake
#         -DSKY_NATIVE_SYSROOT=build/roots/bullseye ...   (make glibc-root)
if(NOT SKY_NATIVE_SYSROOT AND DEFINED ENV{SKY_NATIVE_SYSROOT})
  set(SKY_NATIVE_SYSROOT "$ENV{SKY_NATIVE_SYSROOT}")
endif()
if(NOT IS_DIRECTORY "${SKY_NATIVE_SYSROOT}/usr/include")
  message(FATAL_ERROR "glibc-floor: SKY_NATIVE_SYSROOT (${SKY_NATIVE_SYSROOT}) is not a Debian root with libc6-dev")
endif()
# try_compile projects see the toolchain file again, not the cache.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SKY_NATIVE_SYSROOT)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_SYSROOT "${SKY_NATIVE_SYSROOT}")
# Programs (Python, the build tools) are the host's; libraries and headers
# found by find_* are the root's first.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

execute_process(COMMAND g++ -dumpversion OUTPUT_VARIABLE _gcc_major OUTPUT_STRIP_TRAILING_WHITESPACE)
set(_cxx_headers "-nostdinc++ -isystem /usr/include/c++/${_gcc_major}")
string(APPEND _cxx_headers " -isystem /usr/include/x86_64-linux-gnu/c++/${_gcc_major}")
string(APPEND _cxx_headers " -isystem /usr/include/c++/${_gcc_major}/backward")
set(CMAKE_CXX_FLAGS_INIT "${_cxx_headers}")
# Headers the root lacks (OpenSSL, zstd, pybind11, Python's) are the host's,
# searched after the root's, so that glibc's and the kernel's are the
# root's. CMake must not name those directories with -I (which would come
# first): they count as the compiler's own.
foreach(_lang C CXX)
  string(APPEND CMAKE_${_lang}_FLAGS_INIT
    " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include")
  list(APPEND CMAKE_${_lang}_IMPLICIT_INCLUDE_DIRECTORIES /usr/include/x86_64-linux-gnu /usr/include)
endforeach()
# The root's start files and libraries before the host's (GCC's own
# library directory would otherwise lead to the host's libc.so).
set(_libs "${SKY_NATIVE_SYSROOT}/usr/lib/x86_64-linux-gnu")
# A shared object (the wheel's module) exports nothing of the archives it
# links; an executable's exports are its own to choose (the launcher's
# version script exports libpython's API).
set(_link "-B${_libs}/ -L${_libs} -static-libstdc++")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_link} -Wl,--exclude-libs,ALL")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_link} -Wl,--exclude-libs,ALL")

set(SKY_NATIVE_GLIBC_COMPAT "${CMAKE_CURRENT_LIST_DIR}/compat.cc")
# The root's glibc version (libc-2.31.so): what the packages depend on.
file(GLOB _libc RELATIVE "${_libs}" "${_libs}/libc-*.so")
if(NOT _libc MATCHES "^libc-([0-9]+\\.[0-9]+)\\.so$")
  message(FATAL_ERROR "glibc-floor: no libc-X.Y.so in ${_libs}")
endif()
set(SKY_NATIVE_GLIBC_FLOOR "${CMAKE_MATCH_1}")
