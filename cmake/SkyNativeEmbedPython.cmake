# sky_native_embed_python(OUTPUT file.cc FILES a.py b.py): generates a C++
# source defining sky_native::kEmbeddedFiles from the given Python files,
# regenerated whenever one of them changes.
set(_sky_native_embed_script "${CMAKE_CURRENT_LIST_DIR}/embed_python_files.cmake")

function(sky_native_embed_python)
  cmake_parse_arguments(ARG "" "OUTPUT" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} "-DFILES=${ARG_FILES}"
            -P ${_sky_native_embed_script}
    DEPENDS ${ARG_FILES} ${_sky_native_embed_script}
    COMMENT "Embedding sky_native's Python files"
    VERBATIM)
endfunction()
