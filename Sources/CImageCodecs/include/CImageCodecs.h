// Image codec access for CLIPImage: libjpeg-turbo (TurboJPEG API), libpng, libwebp (with its
// demuxer, for animations) and libheif (HEIF/HEIC and AVIF).
//
// TurboJPEG, libwebp and libheif report errors through return values and are called from Swift directly.
// libpng reports errors with longjmp, which Swift cannot catch, so PNG decoding goes through the one
// setjmp-protected function below.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>
#include <turbojpeg.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <libheif/heif.h>

/// A decoded PNG with its samples untransformed: one byte per sample for bit depths up to 8 (packed
/// samples are unpacked, not rescaled), two big-endian bytes per sample for 16-bit files.
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;            // 1, 2, 4, 8 or 16
    int color_type;           // PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
    int channels;             // samples per pixel in `pixels`
    size_t row_bytes;         // bytes per row in `pixels`
    uint8_t *pixels;          // height * row_bytes bytes; release with clip_png_release
    int palette_count;        // entries in `palette` (colour type 3)
    uint8_t palette[256 * 3];
    int transparency_count;   // entries in `transparency` (palette alpha), or 1 for a grey/RGB key
    uint8_t transparency[256];
} clip_png_image;

/// Reads the dimensions from a PNG header without decoding. Returns 0 on success.
int clip_png_read_size(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height);

/// Decodes a whole PNG held in memory. Returns 0 on success; otherwise writes a message to `error`
/// (NUL-terminated, at most `error_capacity` bytes) and leaves nothing to release.
int clip_png_decode(const uint8_t *data, size_t size, clip_png_image *image, char *error, size_t error_capacity);

/// Frees the pixels of a decoded PNG.
void clip_png_release(clip_png_image *image);

#endif
