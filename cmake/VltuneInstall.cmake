# install(EXPORT): a downstream project does find_package(vltune) and links vltune::vltune
# (tests/consumer is such a project, built by a CTest test).
include(CMakePackageConfigHelpers)

# Every library vltune_add_library made (the plain parts too), LibTorch's interface and the umbrella.
get_property(VLTUNE_LIBRARIES GLOBAL PROPERTY VLTUNE_LIBRARIES)
list(APPEND VLTUNE_LIBRARIES vltune_torch vltune_all)
install(TARGETS ${VLTUNE_LIBRARIES} EXPORT vltuneTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vltune)
foreach(folder core distributed vision language multimodal adapters datasets analysis training)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vltune/${folder}
          FILES_MATCHING PATTERN "*.h")
endforeach()

set(VLTUNE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vltune)
install(EXPORT vltuneTargets NAMESPACE vltune:: DESTINATION ${VLTUNE_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vltuneConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vltuneConfig.cmake INSTALL_DESTINATION ${VLTUNE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vltuneConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vltuneConfig.cmake ${PROJECT_BINARY_DIR}/vltuneConfigVersion.cmake
        DESTINATION ${VLTUNE_CMAKE_DIR})
