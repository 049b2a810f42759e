# cmake/flags.cmake - warnings and sanitizers for our own targets.
add_library(tapeflow_flags INTERFACE)
target_compile_options(tapeflow_flags INTERFACE -Wall -Wextra -Wpedantic
                       -Wno-unused-parameter)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports -Wrestrict inside libstdc++ for `"literal" + std::string`
  # at -O2 (GCC bug 105329, a false positive).
  target_compile_options(tapeflow_flags INTERFACE -Wno-restrict)
  # Position-independent code (for libtapeflow.so) without GCC's default
  # semantic interposition, which would stop inlining across our own
  # functions; clang already behaves so. Nobody interposes our symbols.
  if(CMAKE_POSITION_INDEPENDENT_CODE)
    target_compile_options(tapeflow_flags INTERFACE -fno-semantic-interposition)
  endif()
endif()
if(TAPEFLOW_WERROR)
  target_compile_options(tapeflow_flags INTERFACE -Werror)
endif()
if(TAPEFLOW_SANITIZE)
  # Every report is fatal (the test fails), never a warning that scrolls by.
  target_compile_options(tapeflow_flags INTERFACE -fsanitize=address,undefined
                         -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(tapeflow_flags INTERFACE -fsanitize=address,undefined
                      -fno-sanitize-recover=all)
endif()
if(TAPEFLOW_FUZZ)
  # Coverage for libFuzzer in every library of ours; the harnesses link
  # -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
  target_compile_options(tapeflow_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
# Off by default: a package built with it would stop with SIGILL on a CPU
# older than the build machine. oneDNN picks its kernels at run time anyway.
if(TAPEFLOW_NATIVE)
  target_compile_options(tapeflow_flags INTERFACE -march=native)
endif()
