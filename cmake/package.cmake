# cmake/package.cmake - `cpack -G DEB`: one package with the program, the
# libraries, headers, CMake and pkg-config files and the models
# (share/tapeflow/models). Run-time dependencies come from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME tapeflow)
set(CPACK_PACKAGE_VENDOR "tapeflow")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++ deep-learning framework: graphs in protobuf text, tape autodiff, oneDNN")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "tapeflow developers <tapeflow@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(TAPEFLOW_SHARED)
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
endif()
include(CPack)
