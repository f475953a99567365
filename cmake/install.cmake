# Install rules: headers, the library, a CMake package (find_package(bentoml-metrics CONFIG))
# exporting bentoml::metrics, and a pkg-config file.
include(CMakePackageConfigHelpers)

set(BENTOML_METRICS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bentoml-metrics)

install(TARGETS bentoml_metrics EXPORT bentoml-metricsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bentoml-metricsTargets NAMESPACE bentoml:: DESTINATION ${BENTOML_METRICS_CMAKE_DIR})

configure_package_config_file(cmake/bentoml-metricsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bentoml-metricsConfig.cmake
  INSTALL_DESTINATION ${BENTOML_METRICS_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bentoml-metricsConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/bentoml-metricsConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/bentoml-metricsConfigVersion.cmake
  DESTINATION ${BENTOML_METRICS_CMAKE_DIR})

# Relative to the .pc file, so that `cmake --install --prefix` anywhere gives a working file.
file(RELATIVE_PATH BENTOML_METRICS_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
     "${CMAKE_INSTALL_PREFIX}")
configure_file(cmake/bentoml-metrics.pc.in ${CMAKE_CURRENT_BINARY_DIR}/bentoml-metrics.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bentoml-metrics.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
