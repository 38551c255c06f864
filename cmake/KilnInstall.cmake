# cmake --install: kiln's headers, its libraries as the exported targets kiln::dsl, kiln::runtime,
# kiln::data, kiln::codegen, kiln::onnx and kiln::generator, its tools, and the package find_package(kiln) reads (kilnConfig.cmake, the
# version file, kiln_add_net and the generator source kiln_add_net builds in the consumer's tree).
include(CMakePackageConfigHelpers)

set(KILN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/kiln CACHE STRING "Where kiln's CMake package is installed")

install(DIRECTORY dsl/include/ runtime/include/ data/include/ codegen/include/ onnx/include/ ${PROJECT_BINARY_DIR}/generated/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT kiln_development)
install(TARGETS kiln_dsl kiln_runtime kiln_data kiln_codegen kiln_onnx kiln_generator EXPORT kilnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT kiln_development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kilnTargets NAMESPACE kiln:: DESTINATION ${KILN_INSTALL_CMAKEDIR} COMPONENT kiln_development)

# The tools are built with the examples (kiln-inspect and kiln-tune know kiln's example nets;
# kiln-import, linked statically with kiln::onnx, needs only libonnx_proto and libprotobuf at run time).
foreach(tool IN ITEMS kiln-inspect kiln-tune kiln-import)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT kiln_tools)
  endif()
endforeach()

configure_package_config_file(cmake/kilnConfig.cmake.in ${PROJECT_BINARY_DIR}/kilnConfig.cmake
                              INSTALL_DESTINATION ${KILN_INSTALL_CMAKEDIR} PATH_VARS CMAKE_INSTALL_BINDIR)
# 0.x releases break their interface between minor versions, so 0.2 accepts 0.2.*, not 0.3.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kilnConfig.cmake ${PROJECT_BINARY_DIR}/kilnConfigVersion.cmake cmake/KilnAot.cmake cmake/KilnOnnx.cmake
        DESTINATION ${KILN_INSTALL_CMAKEDIR} COMPONENT kiln_development)
# kiln_add_net, kiln_add_inspector and kiln_add_tuner build their programs from these in the
# consumer's build tree.
install(FILES tools/kiln_generate.cpp tools/generator_main.hpp tools/kiln_inspect.cpp tools/kiln_tune.cpp
              tools/tool_nets.hpp tools/cli.hpp
        DESTINATION ${KILN_INSTALL_CMAKEDIR}/generator COMPONENT kiln_development)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/kiln COMPONENT kiln_development)
