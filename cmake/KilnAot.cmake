# kiln_add_net(<target> HEADER <file> NET <C++ type> [NAME <c identifier>] [SCHEDULE <name>]
#              [TARGETS <halide target>... | TARGET <halide target>] [BATCH <estimate>]
#              [MACHINE <cpu[,field=value...]>] [TUNING <file>] [PIPELINES automatic|per_segment|whole_net])
#
# At build time: builds a generator from HEADER, runs it, and makes <target> a static library of
# the generated kernel. Link it and include "<NAME>.hpp": kiln_kernels::<NAME>::run(in, weights, out).
#
# TARGETS: the Halide targets to build the kernel for, most specialized first. With more than one,
# the library holds one kernel per target and a dispatcher that, on the first call, picks the first
# target the running CPU supports; the last is the baseline, taken when none of the others is. The
# default (KILN_AOT_DEFAULT_TARGET) is portable: AVX-512, AVX2+FMA, and plain x86-64 on x86-64 Linux,
# so a kernel built on an AVX-512 machine still runs on an AVX2 one. TARGET host builds for the
# build machine's CPU only.
#
# PIPELINES: the net as one Halide pipeline per segment (each conv group, Residual, Concat branch;
# compiled in parallel, repeated blocks once, in seconds where one pipeline for a large net takes
# minutes per target) run in order by a generated driver, or as one pipeline. automatic (the
# default): per segment for kiln's CPU schedules (default, fused, unfused), one pipeline otherwise.
# Compiled pipelines are kept in ${CMAKE_BINARY_DIR}/kiln-aot-cache, so a kernel generated again
# compiles only those whose code would differ (delete the directory to clear it).
#
# Other defaults: NAME = <target>, SCHEDULE default, BATCH 1, MACHINE ${KILN_AOT_DEFAULT_MACHINE}
# or, when that is empty, "host" for kernels built for host only and "generic" for the others.
# MACHINE names the CPU the kernel is scheduled for (kiln/codegen/machine_model.hpp): "zen3",
# "xeon-spr,cores=8", "host,l2=512KiB".
#
# Every kernel is emitted without a Halide runtime; one runtime (kiln_halide_runtime), built once
# the whole project is configured for what every kernel's targets have in common (plus the GPU and
# other non-ISA features any of them names), is linked by all of them. So several nets link into
# one program with neither duplicate nor missing halide_* symbols.
#
# kiln_add_inspector(<target> HEADER <file> NET <C++ type> [NAME <net name>])
# kiln_add_tuner(<target> HEADER <file> NET <C++ type> [NAME <net name>])
#
# kiln-inspect and kiln-tune for a net of the user's own: executables <target> that know that one
# net (as NAME, default the type's last component), with the flags of kiln's tools; NET may be
# left out on their command lines.
#
# Works from kiln's own tree, from a project that add_subdirectory()s or FetchContent()s kiln, and
# after find_package(kiln) against an installed kiln (kilnConfig.cmake sets
# KILN_GENERATOR_SOURCE_DIR to the installed generator source).
include_guard(GLOBAL)

if(NOT DEFINED KILN_GENERATOR_SOURCE_DIR)
  set(KILN_GENERATOR_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/../tools)
endif()
# A global property, not a variable: kiln_add_net is called from directories that do not see the
# variables of the one that included this file.
set_property(GLOBAL PROPERTY KILN_TOOLS_SOURCE_DIR ${KILN_GENERATOR_SOURCE_DIR})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(kiln_portable_targets
      x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41 x86-64-linux-avx-avx2-f16c-fma-sse41 x86-64-linux)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$" AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(kiln_portable_targets arm-64-linux-arm_dot_prod-arm_fp16 arm-64-linux)
else()
  set(kiln_portable_targets host)
endif()
# The targets of kernels that name none; scripts/sanitize.sh sets host-asan, so that Halide
# instruments the generated kernels' own loads and stores.
set(KILN_AOT_DEFAULT_TARGET "${kiln_portable_targets}" CACHE STRING
    "Halide targets (a list, most specialized first) of kiln_add_net kernels that name none")
set(KILN_AOT_DEFAULT_MACHINE "" CACHE STRING
    "CPU that kiln_add_net kernels naming no MACHINE are scheduled for (empty: host for host kernels, generic otherwise)")

# The Halide runtime headers (HalideRuntime.h): headers only, no libHalide.
get_target_property(kiln_halide_includes Halide::Halide INTERFACE_INCLUDE_DIRECTORIES)
set_property(GLOBAL PROPERTY KILN_HALIDE_RUNTIME_INCLUDES ${kiln_halide_includes})

function(kiln_add_net target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "HEADER;NET;NAME;SCHEDULE;TARGET;BATCH;MACHINE;TUNING;PIPELINES" "TARGETS")
  if(NOT ARG_HEADER OR NOT ARG_NET)
    message(FATAL_ERROR "kiln_add_net(${target}): HEADER and NET are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_net(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_TARGET AND ARG_TARGETS)
    message(FATAL_ERROR "kiln_add_net(${target}): give TARGET or TARGETS, not both")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_SCHEDULE)
    set(ARG_SCHEDULE default)
  endif()
  set(targets ${ARG_TARGETS} ${ARG_TARGET})
  if(NOT targets)
    set(targets ${KILN_AOT_DEFAULT_TARGET})
  endif()
  if(NOT ARG_BATCH)
    set(ARG_BATCH 1)
  endif()
  if(NOT ARG_MACHINE)
    set(ARG_MACHINE ${KILN_AOT_DEFAULT_MACHINE})
  endif()
  if(NOT ARG_MACHINE)
    set(ARG_MACHINE host)
    foreach(t IN LISTS targets)
      if(NOT t MATCHES "^host(-|$)")
        set(ARG_MACHINE generic)
      endif()
    endforeach()
  endif()
  if(NOT ARG_PIPELINES)
    set(ARG_PIPELINES automatic)
  endif()
  if(NOT ARG_PIPELINES MATCHES "^(automatic|per_segment|whole_net)$")
    message(FATAL_ERROR "kiln_add_net(${target}): PIPELINES ${ARG_PIPELINES} is not automatic, per_segment or whole_net")
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
  get_property(tools GLOBAL PROPERTY KILN_TOOLS_SOURCE_DIR)
  add_executable(${generator} ${tools}/kiln_generate.cpp)
  target_link_libraries(${generator} PRIVATE kiln::generator)
  target_compile_features(${generator} PRIVATE cxx_std_17)
  target_compile_definitions(${generator} PRIVATE KILN_NET_HEADER="${header}" KILN_NET_TYPE=${ARG_NET})

  # One object for one target; for several, one per target (named by the target string as a C
  # identifier, as the generator names them). The driver source runs the object's pipelines and,
  # for several targets, picks the one the CPU runs.
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.kernel)
  list(LENGTH targets target_count)
  if(target_count EQUAL 1)
    set(objects ${out}/${ARG_NAME}.o)
  else()
    set(objects)
    foreach(t IN LISTS targets)
      string(MAKE_C_IDENTIFIER "${t}" suffix)
      list(APPEND objects ${out}/${ARG_NAME}-${suffix}.o)
    endforeach()
  endif()
  list(JOIN targets "," target_arg)
  # Each pipeline compiled to an object of its own on every core and joined by `ld -r`, and kept in
  # one cache for the whole build, keyed by what decides its code and by kiln's code generator
  # library itself: a regenerated kernel compiles only the segments that changed.
  set(link_args)
  if(CMAKE_LINKER)
    set(link_args --linker ${CMAKE_LINKER} --cache ${CMAKE_BINARY_DIR}/kiln-aot-cache
                  --cache-identity $<TARGET_FILE:kiln::codegen>)
  endif()
  file(MAKE_DIRECTORY ${out})
  add_custom_command(
    OUTPUT ${objects} ${out}/${ARG_NAME}.cpp ${out}/${ARG_NAME}.h ${out}/${ARG_NAME}.hpp
    COMMAND ${generator} --name ${ARG_NAME} --out ${out} --schedule ${ARG_SCHEDULE} --target ${target_arg}
            --batch ${ARG_BATCH} --machine ${ARG_MACHINE} --pipelines ${ARG_PIPELINES} ${tuning_args} ${link_args}
    DEPENDS ${generator} ${tuning_depends}
    COMMENT "kiln: generating ${ARG_NAME} (${ARG_NET}, schedule ${ARG_SCHEDULE}, targets ${target_arg}, machine ${ARG_MACHINE}, pipelines ${ARG_PIPELINES})"
    VERBATIM)
  add_library(${target} STATIC ${objects} ${out}/${ARG_NAME}.cpp ${out}/${ARG_NAME}.h ${out}/${ARG_NAME}.hpp)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  target_compile_features(${target} PUBLIC cxx_std_17)
  get_property(runtime_includes GLOBAL PROPERTY KILN_HALIDE_RUNTIME_INCLUDES)
  target_include_directories(${target} PUBLIC ${out} ${runtime_includes})
  find_package(Threads REQUIRED)
  target_link_libraries(${target} PUBLIC kiln::runtime kiln_halide_runtime Threads::Threads ${CMAKE_DL_LIBS})

  set_property(GLOBAL APPEND PROPERTY KILN_AOT_TARGETS ${targets})
  get_property(deferred GLOBAL PROPERTY KILN_AOT_RUNTIME_GENERATOR)
  if(NOT deferred)
    # The first net's generator also writes the runtime: a generator links kiln::codegen, which an
    # installed kiln gives only to the directory that called find_package(kiln).
    set_property(GLOBAL PROPERTY KILN_AOT_RUNTIME_GENERATOR ${generator})
    cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _kiln_add_halide_runtime)
  endif()
endfunction()

function(_kiln_add_net_tool caller source target)
  cmake_parse_arguments(PARSE_ARGV 3 ARG "" "HEADER;NET;NAME" "")
  if(NOT ARG_HEADER OR NOT ARG_NET)
    message(FATAL_ERROR "${caller}(${target}): HEADER and NET are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${caller}(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NAME)
    string(REGEX REPLACE ".*::" "" ARG_NAME "${ARG_NET}")
  endif()
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  get_property(tools GLOBAL PROPERTY KILN_TOOLS_SOURCE_DIR)
  add_executable(${target} ${tools}/${source})
  target_link_libraries(${target} PRIVATE kiln::codegen CLI11::CLI11)
  target_compile_features(${target} PRIVATE cxx_std_17)
  target_compile_definitions(${target} PRIVATE KILN_NET_HEADER="${header}" KILN_NET_TYPE=${ARG_NET} KILN_NET_NAME="${ARG_NAME}")
endfunction()

function(kiln_add_inspector target)
  _kiln_add_net_tool(kiln_add_inspector kiln_inspect.cpp ${ARGV})
endfunction()

function(kiln_add_tuner target)
  _kiln_add_net_tool(kiln_add_tuner kiln_tune.cpp ${ARGV})
endfunction()

# Target features that select instructions; the runtime may only use those every kernel's targets
# have (a dispatching kernel's baseline has none), or it would fault on the CPUs the baseline is for.
set(KILN_ISA_FEATURES sse41 avx avx2 fma fma4 f16c avx512 avx512_knl avx512_skylake avx512_cannonlake
    avx512_sapphirerapids armv7s no_neon arm_dot_prod arm_fp16 armv81a sve sve2 vsx power_arch_2_07
    CACHE INTERNAL "")

# The runtime's target: kernels' arch-bits-os (host when every kernel is for host), the ISA features
# every explicit target has, and every other feature any target names (cuda, asan, ...).
function(_kiln_add_halide_runtime)
  get_property(targets GLOBAL PROPERTY KILN_AOT_TARGETS)
  set(base host)
  set(common_isa "")
  set(first_explicit ON)
  set(other_features "")
  foreach(t IN LISTS targets)
    string(REPLACE "-" ";" parts "${t}")
    list(GET parts 0 arch)
    if(arch STREQUAL "host")
      set(skip 1)
    else()
      set(skip 3)
      list(SUBLIST parts 0 3 base_parts)
      list(JOIN base_parts "-" base)
    endif()
    set(features "")
    list(LENGTH parts count)
    if(count GREATER skip)
      list(SUBLIST parts ${skip} -1 features)
    endif()
    set(isa "")
    foreach(f IN LISTS features)
      if(f IN_LIST KILN_ISA_FEATURES)
        list(APPEND isa ${f})
      else()
        list(APPEND other_features ${f})
      endif()
    endforeach()
    if(NOT arch STREQUAL "host")
      if(first_explicit)
        set(common_isa ${isa})
        set(first_explicit OFF)
      else()
        set(kept "")
        foreach(f IN LISTS common_isa)
          if(f IN_LIST isa)
            list(APPEND kept ${f})
          endif()
        endforeach()
        set(common_isa ${kept})
      endif()
    endif()
  endforeach()
  set(features ${common_isa} ${other_features})
  list(REMOVE_DUPLICATES features)
  list(SORT features)
  set(runtime_target ${base})
  foreach(f IN LISTS features)
    string(APPEND runtime_target "-${f}")
  endforeach()

  get_property(generator GLOBAL PROPERTY KILN_AOT_RUNTIME_GENERATOR)
  set(object ${CMAKE_BINARY_DIR}/kiln_halide_runtime.o)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${generator} --runtime ${object} --target ${runtime_target}
    DEPENDS ${generator}
    COMMENT "kiln: generating the shared Halide runtime (${runtime_target})"
    VERBATIM)
  add_library(kiln_halide_runtime STATIC ${object})
  set_target_properties(kiln_halide_runtime PROPERTIES LINKER_LANGUAGE CXX)
endfunction()
