# install() rules and CPack (.deb, .tar.gz), last. In the self-contained
# build what is installed is the single file (the launcher with its payload,
# made by packaging/build_single_file.py), never stripped: stripping would
# cut the payload off.
include(GNUInstallDirs)
if(SKY_NATIVE_SELF_CONTAINED)
  set(SKY_NATIVE_SINGLE_FILE "${CMAKE_SOURCE_DIR}/build/dist/sky-native"
      CACHE FILEPATH "The single file that the packages install")
  install(PROGRAMS ${SKY_NATIVE_SINGLE_FILE} DESTINATION ${CMAKE_INSTALL_BINDIR})
else()
  install(TARGETS sky-native RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(CPACK_PACKAGE_NAME sky-native)
set(CPACK_PACKAGE_VENDOR "sky-native")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "sky-native maintainers")
set(CPACK_GENERATOR "TGZ;DEB")
set(CPACK_STRIP_FILES OFF)
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-linux-x86_64")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
if(SKY_NATIVE_GLIBC_FLOOR)
  # Built against an older glibc's root (packaging/glibc-floor): that glibc.
  # (dpkg-shlibdeps would read this machine's libc6, whose libpthread and
  # libdl are 2.34's stubs.)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= ${SKY_NATIVE_GLIBC_FLOOR})")
else()
  # Computed by dpkg-shlibdeps from the file's NEEDED entries: libc6 only.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client, rsync, ca-certificates")
# The payload is compressed already: the fastest compressor dpkg reads.
set(CPACK_DEBIAN_COMPRESSION_TYPE zstd)
set(CPACK_THREADS 0)
include(CPack)
