# ris_embed_files(OUT_CPP NAMESPACE ns FUNCTION fn FILES a.sql b.sql)
# Generates a .cpp defining `std::span<const ris::EmbeddedFile> ns::fn()` that returns the
# files' names (base name) and contents, sorted by name. Used for SQL migrations and web assets.
function(ris_embed_files out_cpp)
  cmake_parse_arguments(E "" "NAMESPACE;FUNCTION" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DNS=${E_NAMESPACE} -DFN=${E_FUNCTION}
            "-DFILES=${E_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${E_FUNCTION}"
    VERBATIM)
endfunction()
