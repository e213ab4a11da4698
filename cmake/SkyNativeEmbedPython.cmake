# sky_native_embed_python(OUTPUT file.cc FILES a.py b.py): generates a C++
# source defining sky_native::kEmbeddedFiles (text and marshalled code of
# each file, compiled by the embedded interpreter's version), regenerated
# whenever one of them changes.
set(_sky_native_embed_script "${CMAKE_CURRENT_LIST_DIR}/embed_python_files.py")

function(sky_native_embed_python)
  cmake_parse_arguments(ARG "" "OUTPUT" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${Python3_EXECUTABLE} ${_sky_native_embed_script} ${ARG_OUTPUT} ${ARG_FILES}
    DEPENDS ${ARG_FILES} ${_sky_native_embed_script}
    COMMENT "Embedding sky_native's Python files"
    VERBATIM)
endfunction()
