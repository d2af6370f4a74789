/* arena.c: see arena.h. */
#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64

vct_status arena_init(arena *a, size_t cap, vct_error *err) {
    memset(a, 0, sizeof *a);
    if (cap == 0) return VCT_STATUS_OK;
    size_t rounded = (cap + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    a->base = aligned_alloc(ARENA_ALIGN, rounded);
    if (!a->base) return vct_fail(err, VCT_STATUS_NO_MEMORY, "arena: cannot allocate %zu bytes", cap);
    a->cap = rounded;
    return VCT_STATUS_OK;
}

void arena_free(arena *a) {
    free(a->base);
    memset(a, 0, sizeof *a);
}

void *arena_alloc(arena *a, size_t bytes) {
    size_t start = (a->used + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (start > a->cap || bytes > a->cap - start) return NULL;
    a->used = start + bytes;
    if (a->used > a->peak) a->peak = a->used;
    return a->base + start;
}

void *arena_calloc(arena *a, size_t bytes) {
    void *p = arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

size_t arena_mark(const arena *a) { return a->used; }

void arena_rewind(arena *a, size_t mark) {
    if (mark <= a->used) a->used = mark;
}
