# Install rules: headers, the libraries, a CMake package (find_package(bentoml-metrics CONFIG),
# components `core`, `http`, and where they were built `push` and `prometheus_cpp`) and
# pkg-config files: bentoml-metrics (the umbrella), bentoml-metrics-core (no HTTP endpoint, no
# CivetWeb, no zlib), bentoml-metrics-push and bentoml-metrics-prometheus-cpp.
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
# The optional parts, each its own component: push (libcurl) and prometheus_cpp (prometheus-cpp).
set(bentoml_metrics_components core http)
set(bentoml_metrics_pc_files bentoml-metrics bentoml-metrics-core)
if(TARGET bentoml_metrics_push)
  install(TARGETS bentoml_metrics_push EXPORT bentoml-metrics-pushTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  list(APPEND bentoml_metrics_components push)
  list(APPEND bentoml_metrics_pc_files bentoml-metrics-push)
endif()
if(TARGET bentoml_metrics_prometheus_cpp)
  install(TARGETS bentoml_metrics_prometheus_cpp EXPORT bentoml-metrics-prometheus_cppTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  list(APPEND bentoml_metrics_components prometheus_cpp)
  list(APPEND bentoml_metrics_pc_files bentoml-metrics-prometheus-cpp)
endif()
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(component ${bentoml_metrics_components})
  install(EXPORT bentoml-metrics-${component}Targets NAMESPACE bentoml::
          DESTINATION ${BENTOML_METRICS_CMAKE_DIR})
endforeach()

# A static bentoml_metrics_http needs CivetWeb and zlib at its users' link time; a shared one does
# not. The same for bentoml_metrics_push and libcurl.
get_target_property(bentoml_metrics_http_type bentoml_metrics_http TYPE)
if(bentoml_metrics_http_type STREQUAL "STATIC_LIBRARY")
  set(BENTOML_METRICS_HTTP_NEEDS_DEPENDENCIES TRUE)
else()
  set(BENTOML_METRICS_HTTP_NEEDS_DEPENDENCIES FALSE)
endif()
set(BENTOML_METRICS_PUSH_NEEDS_DEPENDENCIES ${BENTOML_METRICS_HTTP_NEEDS_DEPENDENCIES})
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
foreach(pc ${bentoml_metrics_pc_files})
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
