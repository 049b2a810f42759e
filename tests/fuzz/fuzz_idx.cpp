// tests/fuzz/fuzz_idx.cpp - IDX files, plain or gzipped: the same bytes are
// read as an image file and as a label file.
#include "core/error.h"
#include "train/data/idx_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  fuzz::MemFile file(data, size);
  try {
    data::ImageSet s = data::readIdxImages(file.path());
    data::checkImageSize(s, file.path(), 28, 28);
  } catch (const Error&) {
  }
  try {
    data::readIdxLabels(file.path(), 10);
  } catch (const Error&) {
  }
  return 0;
}
