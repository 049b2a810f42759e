// train/data/jpeg_decoder.cpp - JPEG (baseline, progressive, arithmetic,
// grey, YCbCr, RGB, CMYK/YCCK) through libjpeg-turbo, the decoder that
// browsers and OSS-Fuzz harden; stb_image's JPEG decoder writes out of bounds
// on malformed Huffman tables. Strict like the PNG path: the dimensions are
// checked before anything is decoded, libjpeg's corrupt-data warnings
// (truncated file, bad Huffman code) are errors, memory is bounded and a
// progressive file may not have more than kMaxScans scans.
// clang-format off
#include <cstddef>
#include <cstdio>   // jpeglib.h uses size_t and FILE without including them
#include <jpeglib.h>
#include <jerror.h>  // needs jpeglib.h's types
// clang-format on

#include "train/data/image_decode.h"

#include <csetjmp>
#include <string>

namespace tapeflow::data::detail {
namespace {

constexpr int kMaxScans = 1000;  // libjpeg-turbo's djpeg -maxscans advice
constexpr long kMaxMemory = 1L << 30;

struct ErrorState {
  jpeg_error_mgr mgr{};
  std::jmp_buf jump{};
  std::string message;
};

ErrorState& stateOf(j_common_ptr c) {
  return *reinterpret_cast<ErrorState*>(c->err);
}

void failed(j_common_ptr c) {
  char buf[JMSG_LENGTH_MAX];
  c->err->format_message(c, buf);
  stateOf(c).message = buf;
  std::longjmp(stateOf(c).jump, 1);
}

/// Level -1 is a warning about corrupt data, which libjpeg papers over with
/// grey; every one but extraneous bytes between markers is an error here.
void message(j_common_ptr c, int level) {
  if (level == -1 && c->err->msg_code != JWRN_EXTRANEOUS_DATA) failed(c);
}

void progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->is_decompressor && d->input_scan_number > kMaxScans) {
    stateOf(c).message = "more than " + num(kMaxScans) + " progressive scans";
    std::longjmp(stateOf(c).jump, 1);
  }
}

/// The decompressor, destroyed however decoding ends.
struct Decompressor {
  jpeg_decompress_struct info{};
  ErrorState err;
  jpeg_progress_mgr prog{};
  Decompressor() {
    info.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = failed;
    err.mgr.emit_message = message;
    prog.progress_monitor = progress;
  }
  ~Decompressor() { jpeg_destroy_decompress(&info); }
};

/// Everything libjpeg does between setjmp and a possible longjmp: no C++
/// object with a destructor lives in this frame.
bool decode(Decompressor& j, const uint8_t* d, size_t size,
            const std::string& file, GreyAlpha& out,
            std::vector<JSAMPLE>& row) {
  if (setjmp(j.err.jump)) return false;
  jpeg_create_decompress(&j.info);
  j.info.progress = &j.prog;
  j.info.mem->max_memory_to_use = kMaxMemory;
  jpeg_mem_src(&j.info, d, static_cast<unsigned long>(size));
  jpeg_read_header(&j.info, TRUE);
  checkDims(file, j.info.image_width,
            j.info.image_height);  // throws before any longjmp
  const J_COLOR_SPACE in = j.info.jpeg_color_space;
  const bool cmyk = in == JCS_CMYK || in == JCS_YCCK;
  j.info.out_color_space = cmyk                  ? JCS_CMYK
                           : in == JCS_GRAYSCALE ? JCS_GRAYSCALE
                                                 : JCS_RGB;
  jpeg_start_decompress(&j.info);
  const int w = int(j.info.output_width), h = int(j.info.output_height);
  const int comps = j.info.output_components;
  out.width = w;
  out.height = h;
  out.grey.resize(size_t(w) * size_t(h));
  row.resize(size_t(w) * size_t(comps));
  // Adobe's CMYK JPEGs store inverted inks: (255 - C) is the C stored.
  const bool inverted = cmyk && j.info.saw_Adobe_marker;
  while (j.info.output_scanline < j.info.output_height) {
    const size_t y = j.info.output_scanline;
    JSAMPROW rows[1] = {row.data()};
    jpeg_read_scanlines(&j.info, rows, 1);
    float* g = out.grey.data() + y * size_t(w);
    for (int x = 0; x < w; ++x) {
      const JSAMPLE* p = row.data() + size_t(x) * size_t(comps);
      if (comps == 1) {
        g[x] = float(p[0]);
      } else if (comps == 3) {
        g[x] = lumaOf(float(p[0]), float(p[1]), float(p[2]));
      } else {
        // The light each ink lets through, 0..1.
        auto light = [&](int i) {
          return float(inverted ? p[i] : 255 - p[i]) / 255.f;
        };
        const float k = light(3);
        g[x] = lumaOf(255.f * light(0) * k, 255.f * light(1) * k,
                      255.f * light(2) * k);
      }
    }
  }
  jpeg_finish_decompress(&j.info);
  return true;
}

}  // namespace

GrayImage decodeJpeg(const uint8_t* d, size_t size, const std::string& file) {
  Decompressor j;
  GreyAlpha out;
  std::vector<JSAMPLE> row;
  if (!decode(j, d, size, file, out, row))
    dataError(file, "cannot decode the JPEG image: " + j.err.message);
  return composite(out);
}

}  // namespace tapeflow::data::detail
