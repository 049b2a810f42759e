# cmake/install.cmake - `make install` and find_package(tapeflow).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS tapeflow tapeflow_api tapeflow_core tapeflow_ops tapeflow_frontends
        tapeflow_proto tapeflow_train tapeflow_train_proto tapeflow_data
        tapeflow_flags
        EXPORT tapeflowTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS tapeflow_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Only the public header and the two std-only vocabulary headers it includes
# (errors, Dims/DType); every other header is internal.
install(FILES include/tapeflow/tapeflow.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapeflow)
install(FILES core/error.h core/shape.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapeflow/core)
install(EXPORT tapeflowTargets NAMESPACE tapeflow::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapeflow)
configure_package_config_file(cmake/tapeflowConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tapeflowConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapeflow)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/tapeflowConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tapeflowConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tapeflowConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapeflow)
if(TAPEFLOW_SHARED)
  install(TARGETS tapeflow_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set(TAPEFLOW_PC_LIBS "-ltapeflow")
else()
  set(TAPEFLOW_PC_LIBS "-ltapeflow_api -ltapeflow_frontends -ltapeflow_proto -ltapeflow_train -ltapeflow_train_proto -ltapeflow_data -ltapeflow_ops -ltapeflow_core")
endif()
set(TAPEFLOW_PC_MPI_LIBS "")
if(TAPEFLOW_WITH_MPI)
  list(JOIN MPI_CXX_LIBRARIES " " TAPEFLOW_PC_MPI_LIBS)
endif()
# Relocatable: the prefix is found from the .pc file's own directory.
file(RELATIVE_PATH TAPEFLOW_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(cmake/tapeflow.pc.in ${CMAKE_CURRENT_BINARY_DIR}/tapeflow.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tapeflow.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tapeflow/models)
install(FILES LICENSE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
