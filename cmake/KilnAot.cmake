# kiln_add_net(<target> HEADER <file> NET <C++ type> [NAME <c identifier>] [SCHEDULE <name>]
#              [TARGET <halide target>] [BATCH <estimate>] [MACHINE <cpu[,field=value...]>]
#              [TUNING <file>])
#
# At build time: builds a generator from HEADER, runs it, and makes <target> a static library of
# the generated kernel. Link it and include "<NAME>.hpp": kiln_kernels::<NAME>::run(in, weights, out).
# Defaults: NAME = <target>, SCHEDULE default, TARGET ${KILN_AOT_DEFAULT_TARGET} (host), BATCH 1,
# MACHINE ${KILN_AOT_DEFAULT_MACHINE} (host: the build machine). MACHINE names the CPU the kernel is
# scheduled for (kiln/codegen/machine_model.hpp): "zen3", "xeon-spr,cores=8", "host,l2=512KiB".
#
# Every kernel is emitted without a Halide runtime; one runtime (kiln_halide_runtime), built for the
# union of all kernels' targets once the whole project is configured, is linked by all of them. So
# several nets link into one program with neither duplicate nor missing halide_* symbols.
include_guard(GLOBAL)

set(KILN_AOT_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/..)
# The target of kernels that name none; scripts/sanitize.sh sets host-asan, so that Halide
# instruments the generated kernels' own loads and stores.
set(KILN_AOT_DEFAULT_TARGET host CACHE STRING "Halide target of kiln_add_net kernels that name no TARGET")
set(KILN_AOT_DEFAULT_MACHINE host CACHE STRING "CPU that kiln_add_net kernels naming no MACHINE are scheduled for")

# The Halide runtime headers (HalideRuntime.h): headers only, no libHalide.
get_target_property(kiln_halide_includes Halide::Halide INTERFACE_INCLUDE_DIRECTORIES)
set(KILN_HALIDE_RUNTIME_INCLUDES ${kiln_halide_includes} CACHE INTERNAL "")

function(kiln_add_net target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "HEADER;NET;NAME;SCHEDULE;TARGET;BATCH;MACHINE;TUNING" "")
  if(NOT ARG_HEADER OR NOT ARG_NET)
    message(FATAL_ERROR "kiln_add_net(${target}): HEADER and NET are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_net(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_SCHEDULE)
    set(ARG_SCHEDULE default)
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET ${KILN_AOT_DEFAULT_TARGET})
  endif()
  if(NOT ARG_BATCH)
    set(ARG_BATCH 1)
  endif()
  if(NOT ARG_MACHINE)
    set(ARG_MACHINE ${KILN_AOT_DEFAULT_MACHINE})
  endif()
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  # A tuning file (kiln-tune) gives measured plans to the groups it has entries for; the kernel is
  # regenerated when the file changes.
  set(tuning_args)
  set(tuning_depends)
  if(ARG_TUNING)
    get_filename_component(tuning "${ARG_TUNING}" ABSOLUTE)
    if(NOT EXISTS "${tuning}")
      message(FATAL_ERROR "kiln_add_net(${target}): TUNING file ${tuning} does not exist (write one with kiln-tune)")
    endif()
    set(tuning_args --tuning ${tuning})
    set(tuning_depends ${tuning})
  endif()

  set(generator ${target}_generator)
  add_executable(${generator} ${KILN_AOT_SOURCE_DIR}/codegen/tools/kiln_generate.cpp)
  target_link_libraries(${generator} PRIVATE kiln::codegen CLI11::CLI11)
  target_compile_definitions(${generator} PRIVATE KILN_NET_HEADER="${header}" KILN_NET_TYPE=${ARG_NET})

  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.kernel)
  file(MAKE_DIRECTORY ${out})
  add_custom_command(
    OUTPUT ${out}/${ARG_NAME}.o ${out}/${ARG_NAME}.h ${out}/${ARG_NAME}.hpp
    COMMAND ${generator} --name ${ARG_NAME} --out ${out} --schedule ${ARG_SCHEDULE} --target ${ARG_TARGET}
            --batch ${ARG_BATCH} --machine ${ARG_MACHINE} ${tuning_args}
    DEPENDS ${generator} ${tuning_depends}
    COMMENT "kiln: generating ${ARG_NAME} (${ARG_NET}, schedule ${ARG_SCHEDULE}, target ${ARG_TARGET}, machine ${ARG_MACHINE})"
    VERBATIM)
  add_library(${target} STATIC ${out}/${ARG_NAME}.o ${out}/${ARG_NAME}.h ${out}/${ARG_NAME}.hpp)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  target_include_directories(${target} PUBLIC ${out} ${KILN_HALIDE_RUNTIME_INCLUDES})
  find_package(Threads REQUIRED)
  target_link_libraries(${target} PUBLIC kiln::runtime kiln_halide_runtime Threads::Threads ${CMAKE_DL_LIBS})

  set_property(GLOBAL APPEND PROPERTY KILN_AOT_TARGETS ${ARG_TARGET})
  get_property(deferred GLOBAL PROPERTY KILN_AOT_RUNTIME_DEFERRED)
  if(NOT deferred)
    set_property(GLOBAL PROPERTY KILN_AOT_RUNTIME_DEFERRED ON)
    cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _kiln_add_halide_runtime)
  endif()
endfunction()

# One runtime for the union of the kernels' targets: the first target's architecture plus every
# feature any kernel named (e.g. host + host-cuda -> host-cuda).
function(_kiln_add_halide_runtime)
  get_property(targets GLOBAL PROPERTY KILN_AOT_TARGETS)
  list(GET targets 0 first)
  string(REPLACE "-" ";" parts "${first}")
  list(GET parts 0 base)
  if(NOT base STREQUAL "host")  # arch-bits-os, e.g. x86-64-linux
    list(SUBLIST parts 0 3 base_parts)
    list(JOIN base_parts "-" base)
  endif()
  set(features "")
  foreach(t IN LISTS targets)
    string(REPLACE "-" ";" parts "${t}")
    list(GET parts 0 arch)
    if(arch STREQUAL "host")
      set(skip 1)
    else()
      set(skip 3)
    endif()
    list(LENGTH parts count)
    if(count GREATER skip)
      list(SUBLIST parts ${skip} -1 extra)
      list(APPEND features ${extra})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES features)
  list(SORT features)
  set(runtime_target ${base})
  foreach(f IN LISTS features)
    string(APPEND runtime_target "-${f}")
  endforeach()

  add_executable(kiln_runtime_generator ${KILN_AOT_SOURCE_DIR}/codegen/tools/kiln_generate.cpp)
  target_link_libraries(kiln_runtime_generator PRIVATE kiln::codegen CLI11::CLI11)
  set(object ${CMAKE_BINARY_DIR}/kiln_halide_runtime.o)
  add_custom_command(
    OUTPUT ${object}
    COMMAND kiln_runtime_generator --runtime ${object} --target ${runtime_target}
    DEPENDS kiln_runtime_generator
    COMMENT "kiln: generating the shared Halide runtime (${runtime_target})"
    VERBATIM)
  add_library(kiln_halide_runtime STATIC ${object})
  set_target_properties(kiln_halide_runtime PROPERTIES LINKER_LANGUAGE CXX)
endfunction()
