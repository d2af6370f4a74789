/* arena.h: a bump allocator with mark/rewind for activations and scratch.
 * One malloc at init; allocations are 64-byte aligned; nothing is freed
 * individually. A full arena returns NULL (callers turn that into a status). */
#ifndef VCT_CORE_ARENA_H
#define VCT_CORE_ARENA_H

#include <stddef.h>

#include "core/error.h"

typedef struct arena {
    unsigned char *base;
    size_t cap;  /* bytes */
    size_t used; /* bytes in use */
    size_t peak; /* high-water mark */
} arena;

vct_status arena_init(arena *a, size_t cap, vct_error *err);
void arena_free(arena *a);
/* 64-byte aligned, uninitialised; NULL if it does not fit */
void *arena_alloc(arena *a, size_t bytes);
/* zero-filled */
void *arena_calloc(arena *a, size_t bytes);
size_t arena_mark(const arena *a);
void arena_rewind(arena *a, size_t mark);

#endif
