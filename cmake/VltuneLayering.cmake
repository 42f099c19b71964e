# The layering docs/architecture.md describes, as the build declares it: for every vltune library
# and each program named (with its plain sources' object library, <program>_plain), its sources and
# the targets it links directly, written to `output` at configure time. tests/check_layering.py (ctest Layering.IncludesFollowLinks, label
# unit) reads it and fails naming every `#include "folder/..."` of a library's files whose header
# belongs to a library it does not link, directly or through what it links.
function(vltune_write_layering output)
  get_property(libraries GLOBAL PROPERTY VLTUNE_LIBRARIES)
  set(text "")
  foreach(target ${libraries} ${ARGN})
    set(parts ${target})
    if(NOT target IN_LIST libraries AND TARGET ${target}_plain)
      list(APPEND parts ${target}_plain)  # a program's plain files are the program's
    endif()
    set(absolute "")
    set(links "")
    foreach(part ${parts})
      get_target_property(dir ${part} SOURCE_DIR)
      get_target_property(sources ${part} SOURCES)
      foreach(source ${sources})
        if(NOT IS_ABSOLUTE ${source})
          set(source ${dir}/${source})
        endif()
        list(APPEND absolute ${source})
      endforeach()
      get_target_property(part_links ${part} LINK_LIBRARIES)
      if(part_links)
        list(APPEND links ${part_links})
      endif()
    endforeach()
    string(APPEND text "target ${target}\nsources ${absolute}\nlinks ${links}\n")
  endforeach()
  file(WRITE ${output} "${text}")
endfunction()
