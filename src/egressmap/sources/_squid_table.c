/* The table's storage (an arena of copied bytes, open-addressing indexes, ids for short fields) and the folding
 * of one table into another: see _squid_table.h. No Python API: usable without the GIL. */
#include "_squid_table.h"

#define CHUNK ((size_t)1 << 18)

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
const char *sq_keep(Arena *a, const char *p, Py_ssize_t n) {
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
int sq_index_grow(Index *index, const void *entries, size_t stride) {
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
int sq_reserve(void **entries, Py_ssize_t *cap, Py_ssize_t n, size_t stride) {
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
int64_t sq_value_id(Values *s, Arena *arena, uint64_t seed, const char *p, Py_ssize_t n) {
    uint64_t hash = mix(hash_piece(seed, p, n));
    size_t at = (size_t)hash & s->index.mask;
    for (Py_ssize_t i; (i = s->index.slots[at]) != 0; at = (at + 1) & s->index.mask) {
        Value *known = &s->values[i - 1];
        if (known->hash == hash && same(known->raw, known->len, p, n))
            return i - 1;
    }
    if (s->index.n >= UINT32_MAX || sq_reserve((void **)&s->values, &s->cap, s->index.n, sizeof(Value)) < 0)
        return -1;
    const char *raw = sq_keep(arena, p, n);
    if (raw == NULL)
        return -1;
    int64_t id = s->index.n;
    s->values[id] = (Value){hash, raw, n};
    s->index.slots[at] = ++s->index.n;
    if ((size_t)s->index.n * 2 > s->index.mask && sq_index_grow(&s->index, s->values, sizeof(Value)) < 0)
        return -1;
    return id;
}

int sq_table_init(Table *t, Py_ssize_t first_lineno, long sample, uint64_t seed) {
    memset(t, 0, sizeof(Table));
    t->first_lineno = t->lineno = first_lineno;
    t->sample = sample;
    t->seed = seed;
    if (index_init(&t->keys) < 0 || index_init(&t->fields.index) < 0 || index_init(&t->clients.index) < 0)
        return -1;
    return 0;
}

void sq_table_free(Table *t) {
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

/* ---- absorb: one table's counts followed by another's, as if one loop had counted both ---- */

/* later's ids of `from` as ids of `into` (its values' bytes now in into's arena); NULL out of memory. */
static uint32_t *map_ids(Values *into, Values *from, Arena *arena, uint64_t seed) {
    uint32_t *ids = PyMem_RawMalloc((size_t)(from->index.n ? from->index.n : 1) * sizeof(uint32_t));
    if (ids == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < from->index.n; i++) {
        int64_t id = sq_value_id(into, arena, seed, from->values[i].raw, from->values[i].len);
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
        if (sq_set_last(into, later->first, later->first_len) < 0)
            return -1;
    } else if (later->last_len == -2) {
        if (sq_set_last(into, later->last_long, later->last_long_len) < 0)
            return -1;
    } else if (sq_set_last(into, later->last_ts, later->last_len) < 0) {
        return -1;
    }
    into->count += later->count;
    /* a client is in the sample when the request that first named it is among the first `sample - 1` */
    if (before + 1 < t->sample && sq_add_client(into, clients[later->client], (uint32_t)(before + 1), t->sample) < 0)
        return -1;
    for (uint32_t i = 0; i < later->more; i++) {
        Py_ssize_t at = before + later->others[i].at;
        if (at < t->sample && sq_add_client(into, clients[later->others[i].id], (uint32_t)at, t->sample) < 0)
            return -1;
    }
    return 0;
}

/* Fold `later` (the lines that follow t's) into t; later is emptied. 0, or -1 out of memory. */
int sq_table_absorb(Table *t, Table *later) {
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
        if (sq_reserve((void **)&t->rows, &t->cap, t->keys.n, sizeof(Row)) < 0)
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
        if ((size_t)t->keys.n * 2 > t->keys.mask && sq_index_grow(&t->keys, t->rows, sizeof(Row)) < 0)
            goto done;
    }
    for (Py_ssize_t i = 0; i < later->nbad; i++) {
        if (sq_reserve((void **)&t->bad, &t->badcap, t->nbad, sizeof(Py_ssize_t)) < 0)
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
    sq_table_free(later);
    if (sq_table_init(later, first, sample, seed) < 0)
        status = -1;
    return status;
}
