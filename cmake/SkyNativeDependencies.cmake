# Third-party packages, all from Debian bookworm. The interpreter found here
# is the one embedded and the one the .venv (SkyPilot) is made from.
#
# sky_native_find_dependencies(): finds them and defines the interface
# targets SkyNative::python (the embedded interpreter) and SkyNative::zstd.
# A macro, called once by the top-level CMakeLists.txt, so that what
# find_package sets stays visible there; including this file defines nothing.
macro(sky_native_find_dependencies)
  if(NOT Python3_EXECUTABLE)
    set(Python3_EXECUTABLE /usr/bin/python3.11)
  endif()
  find_package(Python3 3.11 EXACT REQUIRED COMPONENTS Interpreter Development.Embed)

  set(PYBIND11_FINDPYTHON ON)
  find_package(pybind11 2.10 CONFIG REQUIRED)

  # SkyNative::python: the interpreter sky-native embeds. Linked statically by
  # default, as Debian links its own /usr/bin/python3.11: calls inside a
  # shared libpython go through the PLT, which makes the whole interpreter a
  # few percent slower than `python` (and `sky`). Extension modules in
  # lib-dynload find libpython's symbols in the executable (ENABLE_EXPORTS).
  option(SKY_NATIVE_STATIC_PYTHON "Link libpython statically" ON)
  add_library(sky_native_python INTERFACE)
  add_library(SkyNative::python ALIAS sky_native_python)
  if(SKY_NATIVE_STATIC_PYTHON)
    execute_process(
      COMMAND ${Python3_EXECUTABLE} -c
        "import sysconfig as s; print(s.get_config_var('LIBPL')); print(s.get_config_var('LDVERSION')); print(s.get_config_var('LIBS') + ' ' + s.get_config_var('MODLIBS'))"
      OUTPUT_VARIABLE _python_config OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    string(REPLACE "\n" ";" _python_config "${_python_config}")
    list(GET _python_config 0 _python_libpl)
    list(GET _python_config 1 _python_ldversion)
    list(GET _python_config 2 _python_libs)
    # The archive Debian builds /usr/bin/python3.11 from is not
    # position-independent: executables that link it are not PIE, as that
    # python is not (PIE costs the interpreter several percent).
    set(_python_archive "${_python_libpl}/libpython${_python_ldversion}.a")
    target_link_options(sky_native_python INTERFACE -no-pie)
    separate_arguments(_python_libs UNIX_COMMAND "${_python_libs}")
    list(REMOVE_DUPLICATES _python_libs)
    if(SKY_NATIVE_SELF_CONTAINED)
      # The single file needs glibc only: libpython's own dependencies other
      # than glibc's (zlib, expat) are linked from their static archives.
      set(_python_static_libs)
      foreach(_lib IN LISTS _python_libs)
        string(REGEX REPLACE "^-l" "" _name "${_lib}")
        if(_lib MATCHES "^-l" AND NOT _name MATCHES "^(c|m|dl|pthread|rt|util|resolv)$")
          find_library(_archive_${_name} NAMES lib${_name}.a REQUIRED)
          list(APPEND _python_static_libs "${_archive_${_name}}")
        else()
          list(APPEND _python_static_libs "${_lib}")
        endif()
      endforeach()
      set(_python_libs ${_python_static_libs})
      if(SKY_NATIVE_GLIBC_COMPAT)
        # Built for an older glibc (packaging/glibc-floor): the libraries
        # glibc kept apart before 2.34 (openpty in libutil, pthreads, dl, rt).
        list(APPEND _python_libs -lutil -lpthread -ldl -lrt)
      endif()
    endif()
    target_include_directories(sky_native_python INTERFACE ${Python3_INCLUDE_DIRS})
    # (glibc >= 2.34 holds the pthread functions libpython calls.)
    target_link_libraries(sky_native_python INTERFACE "${_python_archive}" ${_python_libs})
  else()
    target_link_libraries(sky_native_python INTERFACE Python3::Python)
  endif()
  # Poco is not used: nothing here needs more than POSIX, and Debian ships no
  # static Poco library, which the glibc-only single file would need.
  if(SKY_NATIVE_SELF_CONTAINED)
    set(OPENSSL_USE_STATIC_LIBS TRUE)
  endif()
  find_package(OpenSSL 3 REQUIRED)

  # zstd decompresses the single file's payload.
  find_package(zstd CONFIG REQUIRED)
  add_library(sky_native_zstd INTERFACE)
  add_library(SkyNative::zstd ALIAS sky_native_zstd)
  if(SKY_NATIVE_SELF_CONTAINED)
    target_link_libraries(sky_native_zstd INTERFACE zstd::libzstd_static)
  else()
    target_link_libraries(sky_native_zstd INTERFACE zstd::libzstd_shared)
  endif()

  if(SKY_NATIVE_BUILD_TESTS)
    find_package(Catch2 2.13 REQUIRED)
  endif()
  if(SKY_NATIVE_BUILD_BENCHMARKS)
    find_package(benchmark REQUIRED)
  endif()
endmacro()
