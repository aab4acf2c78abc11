/* Squid's native log format in C: the per-line loop (what squid_count.tally_python does, line for line) and
 * the conversion of its common rows (what squid_native._convert does with them).
 *
 * count(blocks, first_lineno, sample, seed) -> (rows, bad, lines)
 *
 * blocks: an iterable of bytes-like blocks of whole lines joined by "\n" (no final line end).
 * rows:   one tuple (url, code, method, count, first lineno, first time, last time, clients, sample url) per
 *         distinct (url, code, method), in order of first request. url, code, method and the sample url (the
 *         first request's URL[:200]) are bytes; url is cut to scheme://authority unless the method is CONNECT.
 *         The times are what float() makes of the first and last timestamps, or None where it cannot (the last
 *         is the first's object while one request was counted). clients are those of the first `sample - 1`
 *         requests, decoded as UTF-8 with replacement: a 1-tuple when there was one, else a set. Equal codes,
 *         equal methods and equal clients are one object each.
 * bad:    line numbers of lines with fewer than 7 fields (blank lines and "#" comments are not bad).
 * lines:  how many lines the blocks held.
 *
 * Counter(first_lineno, sample, seed): the same count fed one block at a time (feed), so that two threads can
 * count two parts of a file at once: the loop touches no Python object and lets the GIL go while it counts a
 * block. first.absorb(later) folds in the counter of the lines that follow first's (and empties it); result()
 * then gives what count() gives for all the lines in order: the same rows, clients and line numbers.
 *
 * Identical requests are counted in a table of this module's own, keyed by the raw bytes: Python objects are
 * made at the end, one per distinct request. `seed` keys the hash (a random number from the caller), so a
 * crafted log cannot choose colliding keys.
 *
 * convert(rows, counted, add, method_and_outcome) -> rows left
 *
 * The rows of count() that squid_native._convert would take as a tunnel's own host:port (CONNECT with a URL
 * that is UTF-8, holds no "://" and does not start with "error:", "cache_object:" or "-", its sample URL the
 * URL itself) go into a Tally's rows as it puts them there: `counted[(method, None, url, outcome)] = [count,
 * lineno, first, last, "", clients]`, or `add(...)` (Tally.add) when the kind is there already. (method,
 * outcome) comes from method_and_outcome(status, method), asked once per pair. `rows` comes reversed (the first
 * row last) and is emptied; every row not taken is returned, in order, for the Python loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define SAMPLE_URL 200
#define TS_INLINE 22
#define CHUNK ((size_t)1 << 18)
#define MAX_SAMPLE 4096
#define RELEASE_GIL_FROM 4096 /* bytes in a block: smaller ones are counted with the GIL held */

/* ---- the table: plain C memory (PyMem_Raw*), usable without the GIL ---- */

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

/* what bytes.split() takes for whitespace: \t \n \v \f \r and space */
static unsigned char is_space[256];

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
static uint64_t hash_piece(uint64_t h, const char *text, Py_ssize_t n) {
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

/* Room for `more` chunks; 0, or -1 out of memory. */
static int reserve_chunks(Arena *a, Py_ssize_t more) {
    if (a->n + more <= a->cap)
        return 0;
    Py_ssize_t cap = (a->n + more) * 2;
    Chunk *grown = PyMem_RawRealloc(a->chunks, (size_t)cap * sizeof(Chunk));
    if (grown == NULL)
        return -1;
    a->chunks = grown;
    a->cap = cap;
    return 0;
}

/* A copy of n bytes in the arena; NULL when out of memory. */
static const char *keep(Arena *a, const char *p, Py_ssize_t n) {
    if (n == 0)
        return "";
    if ((size_t)n > a->left) { /* a new chunk (the rest of the last one stays unused: bytes keep their order) */
        size_t size = (size_t)n > CHUNK ? (size_t)n : CHUNK;
        if (reserve_chunks(a, 1) < 0)
            return NULL;
        char *chunk = PyMem_RawMalloc(size);
        if (chunk == NULL)
            return NULL;
        a->chunks[a->n++] = (Chunk){chunk, size};
        a->at = chunk;
        a->left = size;
    }
    char *copy = a->at;
    memcpy(copy, p, (size_t)n);
    a->at += n;
    a->left -= (size_t)n;
    return copy;
}

/* Take over another arena's chunks after this one's (what points into them stays valid; what is kept next goes
 * in a new chunk after them); 0, or -1 out of memory. */
static int keep_all(Arena *a, Arena *from) {
    if (reserve_chunks(a, from->n) < 0)
        return -1;
    memcpy(a->chunks + a->n, from->chunks, (size_t)from->n * sizeof(Chunk));
    a->n += from->n;
    a->at = NULL;
    a->left = 0;
    PyMem_RawFree(from->chunks);
    *from = (Arena){0};
    return 0;
}

static void free_arena(Arena *a) {
    for (Py_ssize_t i = 0; i < a->n; i++)
        PyMem_RawFree(a->chunks[i].start);
    PyMem_RawFree(a->chunks);
    *a = (Arena){0};
}

static int index_init(Index *index) {
    index->mask = 1023;
    index->n = 0;
    index->slots = PyMem_RawCalloc(index->mask + 1, sizeof(Py_ssize_t));
    return index->slots == NULL ? -1 : 0;
}

/* Twice the slots, filled again from the entries' hashes (each entry, `stride` bytes long, starts with its hash). */
static int index_grow(Index *index, const void *entries, size_t stride) {
    size_t size = (index->mask + 1) * 2;
    Py_ssize_t *slots = PyMem_RawCalloc(size, sizeof(Py_ssize_t));
    if (slots == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < index->n; i++) {
        uint64_t hash = *(const uint64_t *)((const char *)entries + (size_t)i * stride);
        size_t at = (size_t)hash & (size - 1);
        while (slots[at])
            at = (at + 1) & (size - 1);
        slots[at] = i + 1;
    }
    PyMem_RawFree(index->slots);
    index->slots = slots;
    index->mask = size - 1;
    return 0;
}

/* Make room for one more entry in an array of `*cap` entries of `stride` bytes holding `n`. */
static int reserve(void **entries, Py_ssize_t *cap, Py_ssize_t n, size_t stride) {
    if (n < *cap)
        return 0;
    Py_ssize_t more = *cap ? *cap * 2 : 256;
    void *grown = PyMem_RawRealloc(*entries, (size_t)more * stride);
    if (grown == NULL)
        return -1;
    *entries = grown;
    *cap = more;
    return 0;
}

/* The id of a short field's value, added at first sight (its bytes kept in `arena`); -1 out of memory. */
static int64_t value_id(Values *s, Arena *arena, uint64_t seed, const char *p, Py_ssize_t n) {
    uint64_t hash = mix(hash_piece(seed, p, n));
    size_t at = (size_t)hash & s->index.mask;
    for (Py_ssize_t i; (i = s->index.slots[at]) != 0; at = (at + 1) & s->index.mask) {
        Value *known = &s->values[i - 1];
        if (known->hash == hash && same(known->raw, known->len, p, n))
            return i - 1;
    }
    if (s->index.n >= UINT32_MAX || reserve((void **)&s->values, &s->cap, s->index.n, sizeof(Value)) < 0)
        return -1;
    const char *raw = keep(arena, p, n);
    if (raw == NULL)
        return -1;
    int64_t id = s->index.n;
    s->values[id] = (Value){hash, raw, n};
    s->index.slots[at] = ++s->index.n;
    if ((size_t)s->index.n * 2 > s->index.mask && index_grow(&s->index, s->values, sizeof(Value)) < 0)
        return -1;
    return id;
}

static int table_init(Table *t, Py_ssize_t first_lineno, long sample, uint64_t seed) {
    memset(t, 0, sizeof(Table));
    t->first_lineno = t->lineno = first_lineno;
    t->sample = sample;
    t->seed = seed;
    if (index_init(&t->keys) < 0 || index_init(&t->fields.index) < 0 || index_init(&t->clients.index) < 0)
        return -1;
    return 0;
}

static void table_free(Table *t) {
    for (Py_ssize_t i = 0; i < t->keys.n; i++) {
        PyMem_RawFree(t->rows[i].last_long);
        PyMem_RawFree(t->rows[i].others);
    }
    PyMem_RawFree(t->rows);
    PyMem_RawFree(t->keys.slots);
    PyMem_RawFree(t->fields.values);
    PyMem_RawFree(t->fields.index.slots);
    PyMem_RawFree(t->clients.values);
    PyMem_RawFree(t->clients.index.slots);
    PyMem_RawFree(t->bad);
    free_arena(&t->arena);
    memset(t, 0, sizeof(Table));
}

/* Where the first "://" of a URL starts, -1 when it has none. */
static Py_ssize_t find_scheme_end(const char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i + 2 < n; i++)
        if (p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/')
            return i;
    return -1;
}

/* ---- the per-line loop (no Python API: it runs without the GIL) ---- */

/* The fields of a native line, as bytes.split(None, 7) finds its first seven. */
enum { TS, ELAPSED, CLIENT, CODE, SIZE, METHOD, URL, FIELDS };

typedef struct {
    const char *at[FIELDS];
    Py_ssize_t len[FIELDS];
} Line;

/* A new row at key slot `at` for the line (its url cut to `cut` bytes); 0, or -1 out of memory. */
static int add_row(Table *t, size_t at, uint64_t hash, const Line *f, Py_ssize_t cut) {
    if (reserve((void **)&t->rows, &t->cap, t->keys.n, sizeof(Row)) < 0)
        return -1;
    int64_t code = value_id(&t->fields, &t->arena, t->seed, f->at[CODE], f->len[CODE]);
    int64_t method = value_id(&t->fields, &t->arena, t->seed, f->at[METHOD], f->len[METHOD]);
    int64_t client = value_id(&t->clients, &t->arena, t->seed, f->at[CLIENT], f->len[CLIENT]);
    if (code < 0 || method < 0 || client < 0)
        return -1;
    Row *row = &t->rows[t->keys.n];
    memset(row, 0, sizeof(Row));
    row->hash = hash;
    row->count = 1;
    row->lineno = t->lineno;
    row->last_len = -1;
    row->code = (uint32_t)code;
    row->method = (uint32_t)method;
    row->client = (uint32_t)client;
    Py_ssize_t sample = Py_MIN(f->len[URL], SAMPLE_URL);
    row->url_len = cut;
    row->sample_len = sample;
    row->first_len = f->len[TS];
    row->url = keep(&t->arena, f->at[URL], cut);
    row->sample = cut == sample ? row->url : keep(&t->arena, f->at[URL], sample);
    row->first = keep(&t->arena, f->at[TS], f->len[TS]);
    if (row->url == NULL || row->sample == NULL || row->first == NULL)
        return -1;
    t->keys.slots[at] = ++t->keys.n;
    if ((size_t)t->keys.n * 2 > t->keys.mask)
        return index_grow(&t->keys, t->rows, sizeof(Row));
    return 0;
}

/* Note that the row's request number `at` named client `id` (if it is a new one); 0, or -1 out of memory. */
static int add_client(Row *row, uint32_t id, uint32_t at, long sample) {
    if (id == row->client)
        return 0;
    for (uint32_t i = 0; i < row->more; i++)
        if (row->others[i].id == id)
            return 0;
    if (row->others == NULL) {
        row->others = PyMem_RawMalloc((size_t)(sample - 2) * sizeof(Seen));
        if (row->others == NULL)
            return -1;
    }
    row->others[row->more++] = (Seen){id, at};
    return 0;
}

/* The row's last timestamp is now these n bytes; 0, or -1 out of memory. */
static int set_last(Row *row, const char *p, Py_ssize_t n) {
    if (n <= TS_INLINE) {
        memcpy(row->last_ts, p, (size_t)n);
        row->last_len = (signed char)n;
        return 0;
    }
    char *copy = PyMem_RawRealloc(row->last_long, (size_t)n);
    if (copy == NULL)
        return -1;
    memcpy(copy, p, (size_t)n);
    row->last_long = copy;
    row->last_long_len = n;
    row->last_len = -2;
    return 0;
}

/* One more request of a known row; 0, or -1 out of memory. */
static int count_again(Table *t, Row *row, const Line *f) {
    if (set_last(row, f->at[TS], f->len[TS]) < 0)
        return -1;
    if (++row->count >= t->sample)
        return 0;
    int64_t client = value_id(&t->clients, &t->arena, t->seed, f->at[CLIENT], f->len[CLIENT]);
    return client < 0 ? -1 : add_client(row, (uint32_t)client, (uint32_t)row->count, t->sample);
}

static int note_bad(Table *t) {
    if (reserve((void **)&t->bad, &t->badcap, t->nbad, sizeof(Py_ssize_t)) < 0)
        return -1;
    t->bad[t->nbad++] = t->lineno;
    return 0;
}

/* Where the token at p ends: the first whitespace byte at or after p, or stop. Eight bytes at a time where the
 * compiler and byte order allow: every whitespace byte is below 0x21, and the lowest byte the test flags in a
 * word is the first one below 0x21 in it (the test may also flag bytes after that one, never before); one that
 * is not whitespace (a control byte) is part of the token and the search goes on after it. */
static inline const char *token_end(const char *p, const char *stop) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (stop - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t low = (v - 0x2121212121212121ULL) & ~v & 0x8080808080808080ULL;
        if (low == 0) {
            p += 8;
            continue;
        }
        p += __builtin_ctzll(low) >> 3;
        if (is_space[(unsigned char)*p])
            return p;
        p++;
    }
#endif
    while (p < stop && !is_space[(unsigned char)*p])
        p++;
    return p;
}

/* Count the lines of one block; 0, or -1 out of memory (the table is then unusable). */
static int count_block(Table *t, const char *data, Py_ssize_t size) {
    const char *end = data + size;
    const char *line = data;
    for (;;) {
        const char *stop = memchr(line, '\n', (size_t)(end - line));
        if (stop == NULL)
            stop = end;
        Line f;
        const char *p = line;
        int found = 0;
        for (; found < FIELDS; found++) {
            while (p < stop && is_space[(unsigned char)*p])
                p++;
            if (p == stop)
                break;
            f.at[found] = p;
            p = token_end(p, stop);
            f.len[found] = p - f.at[found];
        }
        if (found < FIELDS) {
            if (found > 0 && f.at[TS][0] != '#' && note_bad(t) < 0)
                return -1;
        } else {
            const char *url = f.at[URL];
            Py_ssize_t full = f.len[URL], cut = full;
            if (!(f.len[METHOD] == 7 && memcmp(f.at[METHOD], "CONNECT", 7) == 0)) {
                /* scheme://authority: up to the first "/" after the first "://" (none when that opens it) */
                Py_ssize_t i = find_scheme_end(url, full);
                if (i > 0) {
                    const char *slash = memchr(url + i + 3, '/', (size_t)(full - i - 3));
                    if (slash != NULL)
                        cut = slash - url;
                }
            }
            uint64_t h = hash_piece(t->seed, url, cut);
            h = hash_piece(h, f.at[CODE], f.len[CODE]);
            h = mix(hash_piece(h, f.at[METHOD], f.len[METHOD]));
            size_t at = (size_t)h & t->keys.mask;
            Row *row = NULL;
            for (Py_ssize_t i; (i = t->keys.slots[at]) != 0; at = (at + 1) & t->keys.mask) {
                Row *r = &t->rows[i - 1];
                const Value *code = &t->fields.values[r->code], *method = &t->fields.values[r->method];
                if (r->hash == h && same(r->url, r->url_len, url, cut) &&
                    same(code->raw, code->len, f.at[CODE], f.len[CODE]) &&
                    same(method->raw, method->len, f.at[METHOD], f.len[METHOD])) {
                    row = r;
                    break;
                }
            }
            if ((row == NULL ? add_row(t, at, h, &f, cut) : count_again(t, row, &f)) < 0)
                return -1;
        }
        ++t->lineno;
        if (stop == end)
            return 0;
        line = stop + 1;
    }
}

/* ---- absorb: one table's counts followed by another's, as if one loop had counted both ---- */

/* later's ids of `from` as ids of `into` (its values' bytes now in into's arena); NULL out of memory. */
static uint32_t *map_ids(Values *into, Values *from, Arena *arena, uint64_t seed) {
    uint32_t *ids = PyMem_RawMalloc((size_t)(from->index.n ? from->index.n : 1) * sizeof(uint32_t));
    if (ids == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < from->index.n; i++) {
        int64_t id = value_id(into, arena, seed, from->values[i].raw, from->values[i].len);
        if (id < 0) {
            PyMem_RawFree(ids);
            return NULL;
        }
        ids[i] = (uint32_t)id;
    }
    return ids;
}

/* A row of the later table counted into one of this table: what counting its requests after those gives. */
static int fold_row(Table *t, Row *into, Row *later, const uint32_t *clients) {
    Py_ssize_t before = into->count;
    if (later->count == 1) {
        if (set_last(into, later->first, later->first_len) < 0)
            return -1;
    } else if (later->last_len == -2) {
        if (set_last(into, later->last_long, later->last_long_len) < 0)
            return -1;
    } else if (set_last(into, later->last_ts, later->last_len) < 0) {
        return -1;
    }
    into->count += later->count;
    /* a client is in the sample when the request that first named it is among the first `sample - 1` */
    if (before + 1 < t->sample && add_client(into, clients[later->client], (uint32_t)(before + 1), t->sample) < 0)
        return -1;
    for (uint32_t i = 0; i < later->more; i++) {
        Py_ssize_t at = before + later->others[i].at;
        if (at < t->sample && add_client(into, clients[later->others[i].id], (uint32_t)at, t->sample) < 0)
            return -1;
    }
    return 0;
}

/* Fold `later` (the lines that follow t's) into t; later is emptied. 0, or -1 out of memory. */
static int table_absorb(Table *t, Table *later) {
    int status = -1;
    uint32_t *fields = NULL, *clients = NULL;
    Py_ssize_t offset = t->lineno - later->first_lineno;
    if (keep_all(&t->arena, &later->arena) < 0)
        goto done;
    fields = map_ids(&t->fields, &later->fields, &t->arena, t->seed);
    clients = map_ids(&t->clients, &later->clients, &t->arena, t->seed);
    if (fields == NULL || clients == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < later->keys.n; i++) {
        Row *row = &later->rows[i];
        uint32_t code = fields[row->code], method = fields[row->method];
        size_t at = (size_t)row->hash & t->keys.mask;
        Row *mine = NULL;
        for (Py_ssize_t j; (j = t->keys.slots[at]) != 0; at = (at + 1) & t->keys.mask) {
            Row *r = &t->rows[j - 1];
            if (r->hash == row->hash && r->code == code && r->method == method &&
                same(r->url, r->url_len, row->url, row->url_len)) {
                mine = r;
                break;
            }
        }
        if (mine != NULL) {
            if (fold_row(t, mine, row, clients) < 0)
                goto done;
            continue;
        }
        if (reserve((void **)&t->rows, &t->cap, t->keys.n, sizeof(Row)) < 0)
            goto done;
        mine = &t->rows[t->keys.n];
        *mine = *row; /* its bytes are in t's arena now; its own memory passes to t's row */
        row->last_long = NULL;
        row->others = NULL;
        mine->lineno += offset;
        mine->code = code;
        mine->method = method;
        mine->client = clients[row->client];
        for (uint32_t k = 0; k < mine->more; k++)
            mine->others[k].id = clients[mine->others[k].id];
        t->keys.slots[at] = ++t->keys.n;
        if ((size_t)t->keys.n * 2 > t->keys.mask && index_grow(&t->keys, t->rows, sizeof(Row)) < 0)
            goto done;
    }
    for (Py_ssize_t i = 0; i < later->nbad; i++) {
        if (reserve((void **)&t->bad, &t->badcap, t->nbad, sizeof(Py_ssize_t)) < 0)
            goto done;
        t->bad[t->nbad++] = later->bad[i] + offset;
    }
    t->lineno += later->lineno - later->first_lineno;
    status = 0;
done:
    PyMem_RawFree(fields);
    PyMem_RawFree(clients);
    Py_ssize_t first = later->first_lineno;
    long sample = later->sample;
    uint64_t seed = later->seed;
    table_free(later);
    if (table_init(later, first, sample, seed) < 0)
        status = -1;
    return status;
}

/* ---- the result, as Python objects (with the GIL) ---- */

/* What float() makes of a timestamp (a new reference), None where it raises ValueError; NULL on other errors. */
static PyObject *time_of(const char *p, Py_ssize_t n) {
    PyObject *raw = PyBytes_FromStringAndSize(p, n);
    if (raw == NULL)
        return NULL;
    PyObject *time = PyFloat_FromString(raw);
    Py_DECREF(raw);
    if (time == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        time = Py_NewRef(Py_None);
    }
    return time;
}

/* One object per value: bytes, or text (UTF-8, bad bytes replaced); a list, NULL on error. */
static PyObject *value_objects(const Values *s, int text) {
    PyObject *objects = PyList_New(s->index.n);
    if (objects == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < s->index.n; i++) {
        const Value *v = &s->values[i];
        PyObject *o = text ? PyUnicode_DecodeUTF8(v->raw, v->len, "replace") : PyBytes_FromStringAndSize(v->raw, v->len);
        if (o == NULL) {
            Py_DECREF(objects);
            return NULL;
        }
        PyList_SET_ITEM(objects, i, o);
    }
    return objects;
}

static PyObject *row_clients(const Row *row, PyObject *clients) {
    PyObject *first = PyList_GET_ITEM(clients, row->client);
    if (row->more == 0)
        return PyTuple_Pack(1, first);
    PyObject *set = PySet_New(NULL);
    if (set == NULL || PySet_Add(set, first) < 0)
        goto fail;
    for (uint32_t i = 0; i < row->more; i++)
        if (PySet_Add(set, PyList_GET_ITEM(clients, row->others[i].id)) < 0)
            goto fail;
    return set;
fail:
    Py_XDECREF(set);
    return NULL;
}

static PyObject *row_tuple(const Row *row, PyObject *fields, PyObject *clients) {
    PyObject *items[9] = {NULL};
    items[0] = PyBytes_FromStringAndSize(row->url, row->url_len);
    items[1] = Py_NewRef(PyList_GET_ITEM(fields, row->code));
    items[2] = Py_NewRef(PyList_GET_ITEM(fields, row->method));
    items[3] = PyLong_FromSsize_t(row->count);
    items[4] = PyLong_FromSsize_t(row->lineno);
    items[5] = time_of(row->first, row->first_len);
    items[6] = items[5] == NULL        ? NULL
               : row->last_len == -1 ? Py_NewRef(items[5])
               : row->last_len == -2 ? time_of(row->last_long, row->last_long_len)
                                     : time_of(row->last_ts, row->last_len);
    items[7] = row_clients(row, clients);
    items[8] = items[0] != NULL && row->sample == row->url ? Py_NewRef(items[0])
                                                            : PyBytes_FromStringAndSize(row->sample, row->sample_len);
    for (int i = 0; i < 9; i++) {
        if (items[i] == NULL) {
            for (int j = 0; j < 9; j++)
                Py_XDECREF(items[j]);
            return NULL;
        }
    }
    PyObject *tuple = PyTuple_New(9);
    for (int i = 0; i < 9; i++) {
        if (tuple == NULL)
            Py_DECREF(items[i]);
        else
            PyTuple_SET_ITEM(tuple, i, items[i]);
    }
    return tuple;
}

/* Give the memory just let go back to the system: glibc keeps freed blocks below its mmap threshold in its heap,
 * and that threshold rises as the table's growing index frees big blocks, so the chunks end up there. */
static void give_back(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

/* Whether p points into the chunk. */
static inline int within(const Chunk *chunk, const char *p) {
    return p >= chunk->start && p < chunk->start + chunk->size;
}

/* (rows, bad, lines) of the table, which this uses up and frees (table_init starts it again): the rows are made
 * from the last, and the table's memory of each is let go once its row is made (its chunks of bytes, its part of
 * the rows array), so the table and the rows are never both whole. */
static PyObject *table_result(Table *t) {
    PyObject *fields = value_objects(&t->fields, 0), *clients = value_objects(&t->clients, 1);
    PyObject *rows = PyList_New(t->keys.n), *bad = PyList_New(t->nbad), *result = NULL;
    Arena *arena = &t->arena;
    if (fields == NULL || clients == NULL || rows == NULL || bad == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < t->nbad; i++) {
        PyObject *n = PyLong_FromSsize_t(t->bad[i]);
        if (n == NULL)
            goto done;
        PyList_SET_ITEM(bad, i, n);
    }
    PyMem_RawFree(t->keys.slots); /* no more lookups */
    t->keys.slots = NULL;
    Py_ssize_t done_chunks = 0; /* chunks let go from the front */
    for (Py_ssize_t i = 0; i < t->keys.n; i++) {
        Row *row = &t->rows[i];
        PyObject *tuple = row_tuple(row, fields, clients);
        if (tuple == NULL)
            goto done;
        PyList_SET_ITEM(rows, i, tuple);
        PyMem_RawFree(row->others);
        PyMem_RawFree(row->last_long);
        row->others = NULL;
        row->last_long = NULL;
        /* the chunks before the one that holds the next row's URL hold only the bytes of rows already made */
        if (i + 1 < t->keys.n && t->rows[i + 1].url_len > 0) {
            const char *next = t->rows[i + 1].url;
            while (done_chunks < arena->n - 1 && !within(&arena->chunks[done_chunks], next)) {
                PyMem_RawFree(arena->chunks[done_chunks].start);
                arena->chunks[done_chunks++].start = NULL;
                if (done_chunks % 64 == 0)
                    give_back();
            }
        }
    }
    result = Py_BuildValue("(OOn)", rows, bad, t->lineno - t->first_lineno);
done:
    table_free(t);
    give_back();
    Py_XDECREF(fields);
    Py_XDECREF(clients);
    Py_XDECREF(rows);
    Py_XDECREF(bad);
    return result;
}

/* Count one bytes-like block into the table (the GIL let go for a big one); 0, or -1 with an exception set. */
static int feed_table(Table *t, PyObject *block) {
    Py_buffer view;
    if (PyObject_GetBuffer(block, &view, PyBUF_SIMPLE) < 0)
        return -1;
    int status;
    if (view.len >= RELEASE_GIL_FROM) {
        Py_BEGIN_ALLOW_THREADS
        status = count_block(t, view.buf, view.len);
        Py_END_ALLOW_THREADS
    } else {
        status = count_block(t, view.buf, view.len);
    }
    PyBuffer_Release(&view);
    if (status < 0)
        PyErr_NoMemory();
    return status;
}

static int check_sample(long sample) {
    if (sample < 2 || sample > MAX_SAMPLE) {
        PyErr_Format(PyExc_ValueError, "sample must be between 2 and %d", MAX_SAMPLE);
        return -1;
    }
    return 0;
}

static PyObject *count(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *blocks;
    Py_ssize_t lineno;
    long sample;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OnlK:count", &blocks, &lineno, &sample, &seed) || check_sample(sample) < 0)
        return NULL;
    PyObject *it = PyObject_GetIter(blocks);
    if (it == NULL)
        return NULL;
    Table t;
    PyObject *result = NULL;
    if (table_init(&t, lineno, sample, mix(seed)) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *block;
    while ((block = PyIter_Next(it)) != NULL) {
        int status = feed_table(&t, block);
        Py_DECREF(block);
        if (status < 0)
            goto done;
    }
    if (!PyErr_Occurred())
        result = table_result(&t);
done:
    Py_DECREF(it);
    table_free(&t);
    return result;
}

/* ---- Counter: count() one block at a time, its halves in two threads ---- */

typedef struct {
    PyObject_HEAD
    Table t;
    int busy;   /* a thread is counting a block (the GIL let go) */
    int broken; /* out of memory midway: the counts are not whole */
} Counter;

static int usable(Counter *c) {
    if (c->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Counter: in use by another thread");
        return 0;
    }
    if (c->broken) {
        PyErr_SetString(PyExc_RuntimeError, "Counter: ran out of memory earlier, its counts are not whole");
        return 0;
    }
    return 1;
}

static PyObject *Counter_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"first_lineno", "sample", "seed", NULL};
    Py_ssize_t lineno;
    long sample;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nlK:Counter", names, &lineno, &sample, &seed) ||
        check_sample(sample) < 0)
        return NULL;
    Counter *self = (Counter *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    if (table_init(&self->t, lineno, sample, mix(seed)) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void Counter_dealloc(Counter *self) {
    table_free(&self->t);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Counter_feed(Counter *self, PyObject *block) {
    if (!usable(self))
        return NULL;
    self->busy = 1;
    int status = feed_table(&self->t, block);
    self->busy = 0;
    if (status < 0) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError))
            self->broken = 1;
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyTypeObject CounterType;

static PyObject *Counter_absorb(Counter *self, PyObject *arg) {
    if (!PyObject_TypeCheck(arg, &CounterType)) {
        PyErr_SetString(PyExc_TypeError, "absorb: a Counter");
        return NULL;
    }
    Counter *later = (Counter *)arg;
    if (later == self) {
        PyErr_SetString(PyExc_ValueError, "absorb: a counter cannot absorb itself");
        return NULL;
    }
    if (!usable(self) || !usable(later))
        return NULL;
    if (later->t.seed != self->t.seed || later->t.sample != self->t.sample) {
        PyErr_SetString(PyExc_ValueError, "absorb: counters of another seed or sample");
        return NULL;
    }
    if (table_absorb(&self->t, &later->t) < 0) {
        self->broken = 1;
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

static PyObject *Counter_result(Counter *self, PyObject *Py_UNUSED(ignored)) {
    if (!usable(self))
        return NULL;
    Py_ssize_t next = self->t.lineno;
    long sample = self->t.sample;
    uint64_t seed = self->t.seed;
    PyObject *result = table_result(&self->t); /* (which frees the table) */
    if (table_init(&self->t, next, sample, seed) < 0) {
        self->broken = 1;
        Py_XDECREF(result);
        return PyErr_NoMemory();
    }
    return result;
}

static PyMethodDef counter_methods[] = {
    {"feed", (PyCFunction)Counter_feed, METH_O,
     "feed(block): count the lines of one bytes-like block (the GIL is let go meanwhile)."},
    {"absorb", (PyCFunction)Counter_absorb, METH_O,
     "absorb(later): fold in the counter of the lines that follow this one's; later is emptied."},
    {"result", (PyCFunction)Counter_result, METH_NOARGS,
     "result() -> (rows, bad line numbers, lines), as count() gives them; the counter is emptied."},
    {NULL, NULL, 0, NULL},
};

static PyObject *Counter_lines(Counter *self, void *Py_UNUSED(closure)) {
    return PyLong_FromSsize_t(self->t.lineno - self->t.first_lineno);
}

static PyGetSetDef counter_getset[] = {
    {"lines", (getter)Counter_lines, NULL, "How many lines it has counted.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject CounterType = {
    .ob_base = PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "egressmap.sources._squid_count.Counter",
    .tp_basicsize = sizeof(Counter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Counter(first_lineno, sample, seed): count() fed one block at a time.",
    .tp_new = Counter_new,
    .tp_dealloc = (destructor)Counter_dealloc,
    .tp_methods = counter_methods,
    .tp_getset = counter_getset,
};

/* ---- convert: the common rows of count() into a Tally, as squid_native._convert makes them ---- */

#define KINDS 64 /* (status, method) answers kept: a log has a handful */

typedef struct {
    PyObject *code, *method; /* the row's shared field objects: compared by identity */
    PyObject *answer;        /* (method, outcome) */
} Kind;

/* Whether squid_native._convert takes the row as a tunnel's own host:port: CONNECT, no "://", not "error:",
 * "cache_object:" or "-" at the start (squid_native._NO_DESTINATION: change both together), and its sample URL
 * the URL itself. */
static int plain_tunnel(PyObject *url, PyObject *method, PyObject *sample) {
    if (sample != url || PyBytes_GET_SIZE(method) != 7 || memcmp(PyBytes_AS_STRING(method), "CONNECT", 7) != 0)
        return 0;
    const char *p = PyBytes_AS_STRING(url);
    Py_ssize_t n = PyBytes_GET_SIZE(url);
    if (n > 0 && p[0] == '-')
        return 0;
    if ((n >= 6 && memcmp(p, "error:", 6) == 0) || (n >= 13 && memcmp(p, "cache_object:", 13) == 0))
        return 0;
    return find_scheme_end(p, n) < 0;
}

/* The (method, outcome) of a row's status and method (a borrowed reference), asked of Python once per pair;
 * NULL without an exception when Python cannot decode them (the row is left to Python), NULL with one on
 * other errors. */
static PyObject *kind_of(Kind *kinds, int *known, PyObject *code, PyObject *method, PyObject *ask) {
    for (int i = 0; i < *known; i++)
        if (kinds[i].code == code && kinds[i].method == method)
            return kinds[i].answer;
    if (*known == KINDS) /* more pairs than a real log has: the rest of them are left to Python */
        return NULL;
    PyObject *answer = PyObject_CallFunctionObjArgs(ask, code, method, NULL);
    if (answer == NULL) {
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
            PyErr_Clear();
        return NULL;
    }
    if (!PyTuple_CheckExact(answer) || PyTuple_GET_SIZE(answer) != 2) {
        Py_DECREF(answer);
        PyErr_SetString(PyExc_TypeError, "convert: method_and_outcome gives (method, outcome)");
        return NULL;
    }
    kinds[*known] = (Kind){Py_NewRef(code), Py_NewRef(method), answer};
    return kinds[(*known)++].answer;
}

/* One common row into the tally: a new kind, or Tally.add for one already there. 1 done, 0 left to Python,
 * -1 error. */
static int convert_row(PyObject *row, PyObject *counted, PyObject *add, PyObject *ask, Kind *kinds, int *known) {
    PyObject *url = PyTuple_GET_ITEM(row, 0), *code = PyTuple_GET_ITEM(row, 1), *method = PyTuple_GET_ITEM(row, 2);
    if (!plain_tunnel(url, method, PyTuple_GET_ITEM(row, 8)))
        return 0;
    PyObject *authority = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(url), PyBytes_GET_SIZE(url), NULL);
    if (authority == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    PyObject *answer = kind_of(kinds, known, code, method, ask);
    if (answer == NULL) {
        Py_DECREF(authority);
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *name = PyTuple_GET_ITEM(answer, 0), *outcome = PyTuple_GET_ITEM(answer, 1);
    PyObject *kind = PyTuple_Pack(4, name, Py_None, authority, outcome);
    PyObject *empty = PyUnicode_New(0, 0);
    int status = -1;
    if (kind != NULL && empty != NULL) {
        PyObject *count = PyTuple_GET_ITEM(row, 3), *lineno = PyTuple_GET_ITEM(row, 4);
        PyObject *first = PyTuple_GET_ITEM(row, 5), *last = PyTuple_GET_ITEM(row, 6);
        PyObject *clients = PyTuple_GET_ITEM(row, 7);
        int there = PyDict_Contains(counted, kind);
        if (there == 0) { /* most rows: what Tally.add does with a new request */
            PyObject *value = PyList_New(6);
            if (value != NULL) {
                PyObject *items[6] = {count, lineno, first, last, empty, clients};
                for (int i = 0; i < 6; i++)
                    PyList_SET_ITEM(value, i, Py_NewRef(items[i]));
                status = PyDict_SetItem(counted, kind, value) < 0 ? -1 : 1;
                Py_DECREF(value);
            }
        } else if (there == 1) { /* the same request with another status: Tally.add merges them */
            PyObject *done = PyObject_CallFunctionObjArgs(add, lineno, name, Py_None, authority, outcome, clients,
                                                          first, last, empty, count, NULL);
            status = done == NULL ? -1 : 1;
            Py_XDECREF(done);
        }
    }
    Py_XDECREF(kind);
    Py_XDECREF(empty);
    Py_DECREF(authority);
    return status;
}

static PyObject *convert(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *rows, *counted, *add, *ask;
    if (!PyArg_ParseTuple(args, "O!O!OO:convert", &PyList_Type, &rows, &PyDict_Type, &counted, &add, &ask))
        return NULL;
    Kind kinds[KINDS];
    int known = 0;
    PyObject *left = PyList_New(0);
    if (left == NULL)
        return NULL;
    for (Py_ssize_t n; (n = PyList_GET_SIZE(rows)) > 0;) {
        /* taken from the end (the rows come reversed): the list shrinks as it goes, and each row taken is let
         * go once converted, so their memory serves what is made meanwhile */
        PyObject *row = Py_NewRef(PyList_GET_ITEM(rows, n - 1));
        int done = -1;
        if (PyList_SetSlice(rows, n - 1, n, NULL) < 0) {
            /* done stays -1 */
        } else if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != 9 ||
                   !PyBytes_CheckExact(PyTuple_GET_ITEM(row, 0)) || !PyBytes_CheckExact(PyTuple_GET_ITEM(row, 1)) ||
                   !PyBytes_CheckExact(PyTuple_GET_ITEM(row, 2))) {
            PyErr_SetString(PyExc_TypeError, "convert: rows are count()'s 9-tuples");
        } else {
            done = convert_row(row, counted, add, ask, kinds, &known);
            if (done == 0 && PyList_Append(left, row) < 0)
                done = -1;
        }
        Py_DECREF(row);
        if (done < 0) {
            Py_CLEAR(left);
            break;
        }
    }
    for (int i = 0; i < known; i++) {
        Py_DECREF(kinds[i].code);
        Py_DECREF(kinds[i].method);
        Py_DECREF(kinds[i].answer);
    }
    return left;
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS,
     "count(blocks, first_lineno, sample, seed) -> (rows, bad line numbers, lines): the native log's per-line "
     "loop (see egressmap.sources.squid_count.tally_native)."},
    {"convert", convert, METH_VARARGS,
     "convert(rows, counted, add, method_and_outcome) -> the rows left: the tunnels' own host:port rows into a "
     "Tally's rows (see egressmap.sources.squid_native._convert)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_squid_count",
    .m_doc = "The per-line loop of Squid's native log format, in C.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__squid_count(void) {
    for (const char *c = " \t\n\v\f\r"; *c; c++)
        is_space[(unsigned char)*c] = 1;
    if (PyType_Ready(&CounterType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "Counter", (PyObject *)&CounterType) < 0)
        Py_CLEAR(m);
    return m;
}
