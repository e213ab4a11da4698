# SKY_NATIVE_SANITIZERS (e.g. "address;undefined") applies to every target.
if(SKY_NATIVE_SANITIZERS)
  list(JOIN SKY_NATIVE_SANITIZERS "," _sky_native_sanitizers)
  add_compile_options(-fsanitize=${_sky_native_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_sky_native_sanitizers})
  # ASan intercepts crypt(); its interceptor finds the real one only if
  # libcrypt is loaded at start-up, so Python's _crypt (imported by SkyPilot
  # through passlib) would otherwise jump to address 0.
  add_link_options(LINKER:--push-state,--no-as-needed -lcrypt LINKER:--pop-state)
endif()

# Fuzzing builds instrument everything for coverage; the fuzz targets
# themselves link libFuzzer's main (tests/fuzz).
if(SKY_NATIVE_BUILD_FUZZERS)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
