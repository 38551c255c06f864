# kiln_add_onnx_net(<target> MODEL <file.onnx> [NAME <c identifier>] [FOLD_BATCH_NORM]
#                   [SCHEDULE ...] [TARGET ... | TARGETS ...] [BATCH ...] [MACHINE ...] [TUNING ...])
#
# ONNX in, standalone kernel out: at build time kiln-import turns MODEL into a kiln declaration
# (<binary dir>/<target>.onnx/<NAME>.hpp, the net `kiln_onnx::<NAME>`) and its weights
# (<NAME>.safetensors beside it), then kiln_add_net builds the AOT kernel from that declaration
# with the other arguments. Link <target> and include "<NAME>.hpp" for the kernel
# (kiln_kernels::<NAME>::run) or "<NAME>.net.hpp" for the declaration; the target property
# KILN_ONNX_WEIGHTS holds the weights file's path. A model kiln cannot import fails the build with
# the importer's reason. NAME defaults to <target>.
include_guard(GLOBAL)

function(kiln_add_onnx_net target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "FOLD_BATCH_NORM" "MODEL;NAME;SCHEDULE;TARGET;BATCH;MACHINE;TUNING" "TARGETS")
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "kiln_add_onnx_net(${target}): MODEL is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_onnx_net(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "kiln_add_onnx_net(${target}): MODEL ${model} does not exist")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "kiln_add_onnx_net(${target}): NAME '${ARG_NAME}' is not a C identifier")
  endif()
  # kiln-import: built in kiln's tree (and in a parent project's), installed beside an installed kiln.
  if(TARGET kiln-import)
    set(importer $<TARGET_FILE:kiln-import>)
    set(importer_depends kiln-import)
  elseif(KILN_IMPORT_EXECUTABLE)
    set(importer ${KILN_IMPORT_EXECUTABLE})
    set(importer_depends ${KILN_IMPORT_EXECUTABLE})
  else()
    message(FATAL_ERROR "kiln_add_onnx_net(${target}): no kiln-import (build kiln with its tools, or set KILN_IMPORT_EXECUTABLE)")
  endif()
  set(fold)
  if(ARG_FOLD_BATCH_NORM)
    set(fold --fold-batch-norm)
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}.onnx)
  # The declaration is named <NAME>.net.hpp so that it does not clash with the kernel's <NAME>.hpp.
  set(declaration ${dir}/${ARG_NAME}.net.hpp)
  set(weights ${dir}/${ARG_NAME}.safetensors)
  add_custom_command(
    OUTPUT ${declaration} ${weights}
    COMMAND ${importer} ${model} --out ${dir}/import --name ${ARG_NAME} --namespace kiln_onnx ${fold}
    COMMAND ${CMAKE_COMMAND} -E copy ${dir}/import/${ARG_NAME}.hpp ${declaration}
    COMMAND ${CMAKE_COMMAND} -E copy ${dir}/import/${ARG_NAME}.safetensors ${weights}
    DEPENDS ${model} ${importer_depends}
    COMMENT "kiln-import ${ARG_MODEL} -> kiln_onnx::${ARG_NAME}"
    VERBATIM)
  set(forward)
  foreach(arg IN ITEMS SCHEDULE TARGET BATCH MACHINE TUNING)
    if(ARG_${arg})
      list(APPEND forward ${arg} ${ARG_${arg}})
    endif()
  endforeach()
  if(ARG_TARGETS)
    list(APPEND forward TARGETS ${ARG_TARGETS})
  endif()
  kiln_add_net(${target} HEADER ${declaration} NET kiln_onnx::${ARG_NAME} NAME ${ARG_NAME} ${forward})
  # The generator compiles the declaration: it must exist first, and a new model regenerates it.
  target_sources(${target}_generator PRIVATE ${declaration})
  target_include_directories(${target} INTERFACE ${dir})
  set_target_properties(${target} PROPERTIES KILN_ONNX_WEIGHTS ${weights})
endfunction()
