# cmake/deps.cmake - every third-party dependency is found here, nowhere else.
find_package(dnnl 2.6 CONFIG REQUIRED)      # imported target DNNL::dnnl
find_package(OpenMP REQUIRED)               # shares libgomp's pool with oneDNN
find_package(Threads REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
find_package(Boost 1.74 REQUIRED)           # BGL algorithms are header-only
find_package(ZLIB REQUIRED)
find_package(JPEG REQUIRED)                 # libjpeg-turbo (libjpeg62-turbo-dev): predict's JPEG decoder
find_package(CLI11 2.1 CONFIG REQUIRED)     # header-only; the tapeflow command line
# stb_image (Debian libstb-dev), compiled into train/data/stb_decoder.cpp.
find_path(STB_INCLUDE_DIR stb/stb_image.h REQUIRED)
if(TAPEFLOW_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(TAPEFLOW_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
# ONNX export/import: Debian's libonnx-dev (imported targets onnx, onnx_proto).
# On by default when found; without it the onnx commands say so.
option(TAPEFLOW_WITH_ONNX "ONNX export and import (needs libonnx-dev)" ON)
if(TAPEFLOW_WITH_ONNX)
  find_package(ONNX QUIET)
  if(NOT ONNX_FOUND)
    message(STATUS "tapeflow: libonnx-dev not found; building without ONNX export/import")
    set(TAPEFLOW_WITH_ONNX OFF)  # this configure only: found once installed
  endif()
endif()
# Data-parallel training over MPI (Debian's libopenmpi-dev): on by default
# when found; without it `tapeflow train` runs one process and says so when
# mpirun starts several.
option(TAPEFLOW_WITH_MPI "data-parallel training over MPI (needs libopenmpi-dev)" ON)
if(TAPEFLOW_WITH_MPI)
  find_package(MPI COMPONENTS CXX QUIET)
  if(NOT MPI_CXX_FOUND)
    message(STATUS "tapeflow: MPI not found; building without data-parallel training")
    set(TAPEFLOW_WITH_MPI OFF)  # this configure only: found once installed
  endif()
endif()
