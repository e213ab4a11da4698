# install() rules and CPack (.deb, .tar.gz), last.
include(GNUInstallDirs)
install(TARGETS sky-native RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(CPACK_PACKAGE_NAME sky-native)
set(CPACK_PACKAGE_VENDOR "sky-native")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "sky-native maintainers")
set(CPACK_GENERATOR "TGZ;DEB")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
