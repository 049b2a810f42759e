// tests/support/jpeg_encode.h - JPEG files written by libjpeg for the image
// tests and the fuzzer's seeds.
#pragma once

// clang-format off
#include <cstddef>
#include <cstdio>  // jpeglib.h uses size_t and FILE without including them
#include <jpeglib.h>
// clang-format on

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace tapeflow::testing {

/// Encodes w x h pixels of `comps` samples (1 grey, 3 RGB, 4 CMYK with an
/// Adobe marker, inks stored inverted as Adobe's tools do) at quality 95.
inline std::vector<uint8_t> encodeJpeg(const std::vector<uint8_t>& px, int w,
                                       int h, int comps, bool progressive) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = JDIMENSION(w);
  c.image_height = JDIMENSION(h);
  c.input_components = comps;
  c.in_color_space = comps == 1   ? JCS_GRAYSCALE
                     : comps == 3 ? JCS_RGB
                                  : JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  if (comps == 4) c.write_Adobe_marker = TRUE;
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<JSAMPLE*>(px.data() + size_t(c.next_scanline) *
                                                        size_t(w * comps));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> out(buf, buf + size);
  std::free(buf);
  return out;
}

}  // namespace tapeflow::testing
