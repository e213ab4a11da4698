# SKY_NATIVE_SANITIZERS (e.g. "address;undefined") applies to every target.
if(SKY_NATIVE_SANITIZERS)
  list(JOIN SKY_NATIVE_SANITIZERS "," _sky_native_sanitizers)
  add_compile_options(-fsanitize=${_sky_native_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_sky_native_sanitizers})
endif()

# Fuzzing builds instrument everything for coverage; the fuzz targets
# themselves link libFuzzer's main (tests/fuzz).
if(SKY_NATIVE_BUILD_FUZZERS)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
