#include <stdlib.h>  // defines __GLIBC__ where the C library is glibc
#include "colony_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
int colony_return_free_memory(void) { return malloc_trim(0); }
#else
int colony_return_free_memory(void) { return 0; }
#endif
