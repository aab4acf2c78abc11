/* The per-line loop of Squid's native log format (what squid_count.tally_python does, line for line): see
 * _squid_table.h. No Python API: it runs without the GIL. */
#include "_squid_table.h"

#define SAMPLE_URL 200

/* what bytes.split() takes for whitespace: \t \n \v \f \r and space */
static unsigned char is_space[256];

/* Fill is_space (once, at import). */
void sq_loop_setup(void) {
    for (const char *c = " \t\n\v\f\r"; *c; c++)
        is_space[(unsigned char)*c] = 1;
}

/* Where the first "://" of a URL starts, -1 when it has none. */
Py_ssize_t sq_find_scheme_end(const char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i + 2 < n; i++)
        if (p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/')
            return i;
    return -1;
}


/* The fields of a native line, as bytes.split(None, 7) finds its first seven. */
enum { TS, ELAPSED, CLIENT, CODE, SIZE, METHOD, URL, FIELDS };

typedef struct {
    const char *at[FIELDS];
    Py_ssize_t len[FIELDS];
} Line;

/* A new row at key slot `at` for the line (its url cut to `cut` bytes); 0, or -1 out of memory. */
static int add_row(Table *t, size_t at, uint64_t hash, const Line *f, Py_ssize_t cut) {
    if (sq_reserve((void **)&t->rows, &t->cap, t->keys.n, sizeof(Row)) < 0)
        return -1;
    int64_t code = sq_value_id(&t->fields, &t->arena, t->seed, f->at[CODE], f->len[CODE]);
    int64_t method = sq_value_id(&t->fields, &t->arena, t->seed, f->at[METHOD], f->len[METHOD]);
    int64_t client = sq_value_id(&t->clients, &t->arena, t->seed, f->at[CLIENT], f->len[CLIENT]);
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
    row->url = sq_keep(&t->arena, f->at[URL], cut);
    row->sample = cut == sample ? row->url : sq_keep(&t->arena, f->at[URL], sample);
    row->first = sq_keep(&t->arena, f->at[TS], f->len[TS]);
    if (row->url == NULL || row->sample == NULL || row->first == NULL)
        return -1;
    t->keys.slots[at] = ++t->keys.n;
    if ((size_t)t->keys.n * 2 > t->keys.mask)
        return sq_index_grow(&t->keys, t->rows, sizeof(Row));
    return 0;
}

/* Note that the row's request number `at` named client `id` (if it is a new one); 0, or -1 out of memory. */
int sq_add_client(Row *row, uint32_t id, uint32_t at, long sample) {
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
int sq_set_last(Row *row, const char *p, Py_ssize_t n) {
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
    if (sq_set_last(row, f->at[TS], f->len[TS]) < 0)
        return -1;
    if (++row->count >= t->sample)
        return 0;
    int64_t client = sq_value_id(&t->clients, &t->arena, t->seed, f->at[CLIENT], f->len[CLIENT]);
    return client < 0 ? -1 : sq_add_client(row, (uint32_t)client, (uint32_t)row->count, t->sample);
}

static int note_bad(Table *t) {
    if (sq_reserve((void **)&t->bad, &t->badcap, t->nbad, sizeof(Py_ssize_t)) < 0)
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
int sq_count_block(Table *t, const char *data, Py_ssize_t size) {
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
                Py_ssize_t i = sq_find_scheme_end(url, full);
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
