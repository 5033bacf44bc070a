#ifndef COLONY_MEMORY_H
#define COLONY_MEMORY_H

/// Returns free heap memory to the system (glibc's malloc_trim(0)); 1 if any was released.
/// A no-op returning 0 where the C library has no such call.
int colony_return_free_memory(void);

#endif
