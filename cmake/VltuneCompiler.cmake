# Compiler-side settings shared by every vltune target, applied per target (never globally).

find_program(VLTUNE_CCACHE ccache)
if(VLTUNE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # The sloppiness settings let ccache cache translation units built with a precompiled header.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${VLTUNE_CCACHE})
  message(STATUS "vltune: compiling through ccache (${VLTUNE_CCACHE})")
endif()

# vltune_configure_target(<target>): warnings, sanitizers and the shared torch PCH.
function(vltune_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(VLTUNE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(target STREQUAL "vltune_core")
    target_precompile_headers(${target} PRIVATE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/core/torch_pch.h>)
  else()
    target_precompile_headers(${target} REUSE_FROM vltune_core)
  endif()
endfunction()

# vltune_add_library(<name> <folder> SOURCES ... [DEPS ...]): one library per folder.
function(vltune_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(vltune_${name} STATIC ${ARG_SOURCES})
  add_library(vltune::${name} ALIAS vltune_${name})
  set_target_properties(vltune_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(vltune_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/vltune>)
  target_link_libraries(vltune_${name} PUBLIC ${ARG_DEPS})
  vltune_configure_target(vltune_${name})
endfunction()
