// setjmp-protected libpng decoding for CLIPImage (see include/CImageCodecs.h).
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *error;
    size_t error_capacity;
} reader_state;

static void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    reader_state *state = (reader_state *)png_get_io_ptr(png);
    if (state->size - state->offset < length) {
        png_error(png, "file is truncated");
    }
    memcpy(out, state->data + state->offset, length);
    state->offset += length;
}

static void record_error(png_structp png, png_const_charp message) {
    reader_state *state = (reader_state *)png_get_error_ptr(png);
    if (state->error && state->error_capacity > 0) {
        strncpy(state->error, message, state->error_capacity - 1);
        state->error[state->error_capacity - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void ignore_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int clip_png_read_size(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height) {
    // Signature (8 bytes), IHDR length and type (8 bytes), then width and height, big-endian.
    if (size < 24 || png_sig_cmp(data, 0, 8) != 0 || memcmp(data + 12, "IHDR", 4) != 0) {
        return 1;
    }
    *width = ((uint32_t)data[16] << 24) | ((uint32_t)data[17] << 16) | ((uint32_t)data[18] << 8) | data[19];
    *height = ((uint32_t)data[20] << 24) | ((uint32_t)data[21] << 16) | ((uint32_t)data[22] << 8) | data[23];
    return 0;
}

int clip_png_decode(const uint8_t *data, size_t size, clip_png_image *image, char *error, size_t error_capacity) {
    reader_state state = {data, size, 0, error, error_capacity};
    png_structp png = NULL;
    png_infop info = NULL;
    png_bytep *volatile rows = NULL;
    memset(image, 0, sizeof(*image));

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, record_error, ignore_warning);
    if (!png) {
        strncpy(error, "libpng could not start", error_capacity - 1);
        return 1;
    }
    info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        free(image->pixels);
        image->pixels = NULL;
        free((void *)rows);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        return 1;
    }
    // Pillow refuses a file when any chunk's CRC is wrong, ancillary chunks included.
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_read_fn(png, &state, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (bit_depth < 8) {
        png_set_packing(png);  // one byte per sample, values kept as they are
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    image->width = width;
    image->height = height;
    image->bit_depth = bit_depth;
    image->color_type = color_type;
    image->channels = png_get_channels(png, info);
    image->row_bytes = png_get_rowbytes(png, info);

    png_colorp palette = NULL;
    int palette_count = 0;
    if (png_get_PLTE(png, info, &palette, &palette_count) && palette_count > 0) {
        image->palette_count = palette_count > 256 ? 256 : palette_count;
        for (int i = 0; i < image->palette_count; i++) {
            image->palette[i * 3 + 0] = palette[i].red;
            image->palette[i * 3 + 1] = palette[i].green;
            image->palette[i * 3 + 2] = palette[i].blue;
        }
    }
    png_bytep alpha = NULL;
    int alpha_count = 0;
    if (png_get_tRNS(png, info, &alpha, &alpha_count, NULL)) {
        if (color_type == PNG_COLOR_TYPE_PALETTE && alpha) {
            image->transparency_count = alpha_count > 256 ? 256 : alpha_count;
            memcpy(image->transparency, alpha, (size_t)image->transparency_count);
        } else {
            image->transparency_count = 1;
        }
    }

    if (height == 0 || image->row_bytes == 0 || image->row_bytes > SIZE_MAX / height) {
        png_error(png, "image is too large");
    }
    image->pixels = (uint8_t *)malloc(image->row_bytes * height);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!image->pixels || !rows) {
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = image->pixels + y * image->row_bytes;
    }
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free((void *)rows);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

void clip_png_release(clip_png_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
