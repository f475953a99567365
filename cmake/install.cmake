# Install rules: headers, the three libraries, a CMake package (find_package(bentoml-metrics
# CONFIG), components `core` and `http`) and two pkg-config files: bentoml-metrics (the umbrella)
# and bentoml-metrics-core (no HTTP endpoint, no CivetWeb, no zlib).
include(CMakePackageConfigHelpers)

set(BENTOML_METRICS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bentoml-metrics)

# One export set a component, so that the core can be found where CivetWeb and zlib are absent.
install(TARGETS bentoml_metrics_core EXPORT bentoml-metrics-coreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS bentoml_metrics_http bentoml_metrics EXPORT bentoml-metrics-httpTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(component core http)
  install(EXPORT bentoml-metrics-${component}Targets NAMESPACE bentoml::
          DESTINATION ${BENTOML_METRICS_CMAKE_DIR})
endforeach()

# A static bentoml_metrics_http needs CivetWeb and zlib at its users' link time; a shared one does
# not.
get_target_property(bentoml_metrics_http_type bentoml_metrics_http TYPE)
if(bentoml_metrics_http_type STREQUAL "STATIC_LIBRARY")
  set(BENTOML_METRICS_HTTP_NEEDS_DEPENDENCIES TRUE)
else()
  set(BENTOML_METRICS_HTTP_NEEDS_DEPENDENCIES FALSE)
endif()
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
foreach(pc bentoml-metrics bentoml-metrics-core)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
