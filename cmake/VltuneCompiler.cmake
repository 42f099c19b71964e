# Compiler-side settings shared by every vltune target, applied per target (never globally), and
# the two kinds of translation unit (DEVELOPERS.md, "Compile time"):
#   plain  does not use LibTorch: built in targets that have no LibTorch on their include path and
#          no precompiled header, so it compiles in seconds;
#   torch  uses tensors: built with the shared precompiled torch header (core/torch_pch.h), several
#          files of a folder per compiler call (unity build), since parsing LibTorch dominates.
# The `torch_free_translation_units` test (cmake/CheckTorchFree.cmake) checks the split after a build.

find_program(VLTUNE_CCACHE ccache)
if(VLTUNE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # The sloppiness settings let ccache cache translation units built with a precompiled header.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${VLTUNE_CCACHE})
  message(STATUS "vltune: compiling through ccache (${VLTUNE_CCACHE})")
endif()

option(VLTUNE_UNITY_BUILD "Compile each folder's torch sources a few files per compiler call" ON)
set(VLTUNE_UNITY_BATCH_SIZE 6 CACHE STRING "Torch sources per unity translation unit")

# vltune_configure_target(<target> [TORCH]): warnings and sanitizers; with TORCH also the shared
# precompiled torch header (built by vltune_core, reused by every other torch target, which is why
# all torch targets share one set of compile flags; -Winvalid-pch says when one cannot use it).
function(vltune_configure_target target)
  cmake_parse_arguments(ARG "TORCH" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(VLTUNE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(NOT ARG_TORCH)
    return()
  endif()
  target_compile_options(${target} PRIVATE -Winvalid-pch)
  if(target STREQUAL "vltune_core")
    target_precompile_headers(${target} PRIVATE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/core/torch_pch.h>)
  else()
    target_precompile_headers(${target} REUSE_FROM vltune_core)
  endif()
endfunction()

# Records sources for the torch-free check: `kind` is plain or torch.
function(vltune_record_sources kind)
  foreach(source ${ARGN})
    get_filename_component(path ${source} ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY VLTUNE_${kind}_SOURCES ${path})
  endforeach()
endfunction()

# vltune_add_library(<folder> [SOURCES ...] [DEPS ...] [TORCH_SOURCES ...] [TORCH_DEPS ...]):
# one folder, one concern. SOURCES (plain) and TORCH_SOURCES (torch) become
#   vltune_<folder>        the folder's library: its torch sources, linking the plain part;
#   vltune_<folder>_plain  the plain sources, when the folder has both kinds;
# a folder of one kind is the single library vltune_<folder>. DEPS are what the plain sources
# need (plain vltune libraries and third-party targets); the torch part gets DEPS, TORCH_DEPS and
# LibTorch.
function(vltune_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;TORCH_SOURCES;TORCH_DEPS" ${ARGN})
  set(library vltune_${name})
  if(ARG_SOURCES)
    if(ARG_TORCH_SOURCES)
      set(plain ${library}_plain)
    else()
      set(plain ${library})
    endif()
    vltune_add_static(${plain} ${ARG_SOURCES})
    target_link_libraries(${plain} PUBLIC ${ARG_DEPS})
    vltune_configure_target(${plain})
    vltune_record_sources(PLAIN ${ARG_SOURCES})
  endif()
  if(ARG_TORCH_SOURCES)
    vltune_add_static(${library} ${ARG_TORCH_SOURCES})
    target_link_libraries(${library} PUBLIC ${plain} ${ARG_DEPS} ${ARG_TORCH_DEPS} vltune_torch)
    vltune_configure_target(${library} TORCH)
    set_target_properties(${library} PROPERTIES UNITY_BUILD ${VLTUNE_UNITY_BUILD}
                          UNITY_BUILD_BATCH_SIZE ${VLTUNE_UNITY_BATCH_SIZE})
    vltune_record_sources(TORCH ${ARG_TORCH_SOURCES})
  endif()
endfunction()

# vltune_add_cuda_kernels(<library> <target> <sources>...): vltune's own CUDA kernels (.cu files that
# see no LibTorch) as a static library <target> of their own, compiled by nvcc against the CUDA
# runtime LibTorch loads, linked into <library>. Only where VLTUNE_CUDA_KERNELS is on.
function(vltune_add_cuda_kernels library target)
  vltune_add_static(${target} ${ARGN})
  find_package(CUDAToolkit REQUIRED)
  set_target_properties(${target} PROPERTIES CUDA_RUNTIME_LIBRARY Shared POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${target} PUBLIC CUDA::cudart)
  target_link_libraries(${library} PRIVATE ${target})
endfunction()

# A static library with the project's include root, its vltune:: alias, and a place in the export.
function(vltune_add_static target)
  add_library(${target} STATIC ${ARGN})
  string(REGEX REPLACE "^vltune_" "" export_name ${target})
  add_library(vltune::${export_name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/vltune>)
  set_property(GLOBAL APPEND PROPERTY VLTUNE_LIBRARIES ${target})
endfunction()

# vltune_add_program(<target> [SOURCES ...] [DEPS ...] [TORCH_SOURCES ...] [TORCH_DEPS ...]): an
# executable; when it has files of both kinds, the plain ones compile in an object library of their
# own (<target>_plain) that sees no LibTorch.
function(vltune_add_program target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;TORCH_SOURCES;TORCH_DEPS" ${ARGN})
  if(NOT ARG_TORCH_SOURCES)
    add_executable(${target} ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ${ARG_DEPS})
    vltune_configure_target(${target})
    vltune_record_sources(PLAIN ${ARG_SOURCES})
    return()
  endif()
  add_executable(${target} ${ARG_TORCH_SOURCES})
  if(ARG_SOURCES)
    add_library(${target}_plain OBJECT ${ARG_SOURCES})
    target_link_libraries(${target}_plain PUBLIC ${ARG_DEPS})
    vltune_configure_target(${target}_plain)
    target_link_libraries(${target} PRIVATE ${target}_plain)
    vltune_record_sources(PLAIN ${ARG_SOURCES})
  endif()
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} ${ARG_TORCH_DEPS})
  vltune_configure_target(${target} TORCH)
  set_target_properties(${target} PROPERTIES UNITY_BUILD ${VLTUNE_UNITY_BUILD}
                        UNITY_BUILD_BATCH_SIZE ${VLTUNE_UNITY_BATCH_SIZE})
  vltune_record_sources(TORCH ${ARG_TORCH_SOURCES})
endfunction()
