/* The table of Squid's native log format in C, shared by the files of the _squid_count module.
 *
 * Identical requests are counted in a table of the module's own, keyed by the raw bytes, in plain C memory
 * (PyMem_Raw*): the per-line loop (_squid_loop.c) touches no Python object and runs without the GIL. The table's
 * storage and the folding of one table into another (_squid_table.c), its rows as Python objects
 * (_squid_rows.c), the module's functions and Counter type (_squid_count.c), the conversion of rows into a
 * Tally (_squid_convert.c).
 */
#ifndef EGRESSMAP_SQUID_TABLE_H
#define EGRESSMAP_SQUID_TABLE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TS_INLINE 22

/* The functions the module's files share stay inside the module (not exported from the shared object). */
#if defined(__GNUC__)
#define SQ_INTERNAL __attribute__((visibility("hidden")))
#else
#define SQ_INTERNAL
#endif


/* Copies of the bytes the table keeps, in chunks that never move (rows point into them), filled one after
 * another: a row's bytes lie in the chunk of its URL or later ones, and a later row's never in earlier ones. */
typedef struct {
    char *start;
    size_t size;
} Chunk;

typedef struct {
    Chunk *chunks;
    Py_ssize_t n, cap;
    char *at;
    size_t left;
} Arena;

/* Open addressing, linear probing: slots hold an index + 1 (0 when empty), a power of two of them. */
typedef struct {
    Py_ssize_t *slots;
    size_t mask;
    Py_ssize_t n;
} Index;

/* A short field's distinct values (status, method; clients), each with its id (its place here). */
typedef struct {
    uint64_t hash;
    const char *raw;
    Py_ssize_t len;
} Value;

typedef struct {
    Value *values;
    Py_ssize_t cap;
    Index index;
} Values;

/* A client of a row other than its first, and the request (1-based, of the row) that first named it. */
typedef struct {
    uint32_t id, at;
} Seen;

typedef struct {
    uint64_t hash;
    const char *url;    /* the key: url (cut), code and method */
    const char *sample; /* the first request's URL, at most SAMPLE_URL bytes (url itself when equal) */
    const char *first;  /* the first request's timestamp */
    char *last_long;    /* the last one's when longer than TS_INLINE (its own memory), else NULL */
    Py_ssize_t url_len, sample_len, first_len, last_long_len;
    Py_ssize_t count, lineno;
    uint32_t code, method, client; /* ids: status, method, the first request's client */
    uint32_t more;                  /* clients in `others` */
    Seen *others;                   /* room for sample - 2 (made at the second client) */
    signed char last_len;           /* -1: no later request; 0..TS_INLINE: last_ts holds it; -2: last_long */
    char last_ts[TS_INLINE];
} Row;

typedef struct {
    Row *rows;
    Py_ssize_t cap;
    Index keys; /* into rows */
    Values fields;
    Values clients;
    Arena arena;
    Py_ssize_t *bad;
    Py_ssize_t nbad, badcap;
    Py_ssize_t first_lineno, lineno; /* the first line's number; the next line's */
    uint64_t seed;
    long sample;
} Table;

static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t load8(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t load4(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* h folded with n bytes, read only within them: eight at a time, then the last eight (which may overlap bytes
 * already read; the length is mixed in, so equal bytes hash alike and different lengths apart), or for a short
 * piece two overlapping loads of four, or its first, middle and last byte. */
static inline uint64_t hash_piece(uint64_t h, const char *text, Py_ssize_t n) {
    const unsigned char *p = (const unsigned char *)text;
    uint64_t v;
    if (n >= 8) {
        for (Py_ssize_t i = 0; i + 8 < n; i += 8) {
            h = (h ^ load8(p + i)) * 0x9e3779b97f4a7c15ULL;
            h ^= h >> 31;
        }
        v = load8(p + n - 8);
    } else if (n >= 4) {
        v = load4(p) | (load4(p + n - 4) << 32);
    } else if (n > 0) {
        v = (uint64_t)p[0] | ((uint64_t)p[n / 2] << 8) | ((uint64_t)p[n - 1] << 16);
    } else {
        v = 0;
    }
    h = (h ^ v ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static inline int same(const char *a, Py_ssize_t an, const char *b, Py_ssize_t bn) {
    return an == bn && memcmp(a, b, (size_t)an) == 0;
}

/* _squid_table.c: storage */
SQ_INTERNAL int sq_table_init(Table *t, Py_ssize_t first_lineno, long sample, uint64_t seed);
SQ_INTERNAL void sq_table_free(Table *t);
SQ_INTERNAL const char *sq_keep(Arena *a, const char *p, Py_ssize_t n);
SQ_INTERNAL int sq_index_grow(Index *index, const void *entries, size_t stride);
SQ_INTERNAL int sq_reserve(void **entries, Py_ssize_t *cap, Py_ssize_t n, size_t stride);
SQ_INTERNAL int64_t sq_value_id(Values *s, Arena *arena, uint64_t seed, const char *p, Py_ssize_t n);
SQ_INTERNAL int sq_table_absorb(Table *t, Table *later);

/* _squid_loop.c: the per-line loop */
SQ_INTERNAL void sq_loop_setup(void);
SQ_INTERNAL Py_ssize_t sq_find_scheme_end(const char *p, Py_ssize_t n);
SQ_INTERNAL int sq_add_client(Row *row, uint32_t id, uint32_t at, long sample);
SQ_INTERNAL int sq_set_last(Row *row, const char *p, Py_ssize_t n);
SQ_INTERNAL int sq_count_block(Table *t, const char *data, Py_ssize_t size);

/* _squid_rows.c: the rows as Python objects */
SQ_INTERNAL PyObject *sq_table_result(Table *t);

/* _squid_convert.c */
SQ_INTERNAL PyObject *sq_convert(PyObject *module, PyObject *args);

#endif
