// zlib: inflating gzip request bodies (linemaster-http) and making them (linemaster-load --gzip).
// deflateInit2 is a macro Swift cannot call: wrapped here.
#include <string.h>
#include <zlib.h>

// The most bytes lm_gzip writes for `length` bytes of input: zlib's bound plus the gzip header
// and trailer, which are larger than the zlib ones compressBound counts.
static inline size_t lm_gzip_bound(size_t length) { return compressBound(length) + 32; }

// Compresses `in` into one gzip member in `out` (at least lm_gzip_bound(in_length) bytes) at
// `level`; returns the compressed size, or -1 when zlib fails.
static inline long lm_gzip(const unsigned char *in, size_t in_length, unsigned char *out, size_t out_capacity, int level) {
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)in_length;
    stream.next_out = out;
    stream.avail_out = (uInt)out_capacity;
    int rc = deflate(&stream, Z_FINISH);
    long size = (long)stream.total_out;
    deflateEnd(&stream);
    return rc == Z_STREAM_END ? size : -1;
}
