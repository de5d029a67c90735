// glibc's allocator tuning (<malloc.h>), which the Glibc module does not include.
#ifndef ADAPTEST_CMALLOC_SHIM_H
#define ADAPTEST_CMALLOC_SHIM_H

#if defined(__linux__) && __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// mallopt(M_TOP_PAD, bytes) where glibc provides it; 0 (not set) elsewhere.
static inline int cmalloc_set_top_pad(int bytes) {
#if defined(M_TOP_PAD) && defined(__GLIBC__)
  return mallopt(M_TOP_PAD, bytes);
#else
  (void)bytes;
  return 0;
#endif
}

#endif
