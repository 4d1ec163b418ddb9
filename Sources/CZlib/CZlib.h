// The system zlib (Debian's zlib1g-dev), the platform's library as Glibc is: no package, no vendored copy.
//
// inflateInit2 and deflateInit2 are function-like macros, which Swift cannot import; these wrappers pass the
// header's ZLIB_VERSION and sizeof(z_stream), exactly what the macros do. The gateway only inflates; deflate is
// for the tests and benchmarks that make compressed bodies.
#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

static inline int CZlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

static inline int CZlib_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

#endif
