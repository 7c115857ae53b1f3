#include "data/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace clipforge::data {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return; the C way out is a
// longjmp back to decode_jpeg_rgb (C++ exceptions cannot cross libjpeg's C frames).
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

void on_error(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1); }
void on_message(j_common_ptr) {}  // warnings are not ours to print

// Only trivially destructible locals live between setjmp and a possible longjmp; the output Mat
// is allocated in the caller-visible `out` passed in.
void decode_into(const std::string& bytes, const DecodeOptions& options, DecodedImage& out) {
  jpeg_decompress_struct cinfo;
  ErrorManager errors;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.output_message = on_message;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    out.status = DecodeStatus::kUndecodable;
    out.rgb.release();
    return;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  out.size = {static_cast<int>(cinfo.image_width), static_cast<int>(cinfo.image_height)};
  // Before jpeg_start_decompress: it allocates whole-image coefficient buffers for progressive
  // files, and the output Mat below is image-sized too.
  if (options.max_pixels > 0 && out.size.pixels() > options.max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    out.status = DecodeStatus::kTooManyPixels;
    return;
  }
  cinfo.out_color_space = JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned>(dct_reduction(out.size, options.min_side));
  if (options.fast) {
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = FALSE;
  }
  jpeg_start_decompress(&cinfo);
  out.rgb.create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width), CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out.rgb.ptr<unsigned char>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out.status = DecodeStatus::kOk;
}

}  // namespace

DecodedImage decode_jpeg_rgb(const std::string& bytes, const DecodeOptions& options) {
  DecodedImage out;
  if (!bytes.empty()) decode_into(bytes, options, out);
  return out;
}

}  // namespace clipforge::data
