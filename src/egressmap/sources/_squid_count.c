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
 *         requests, decoded as UTF-8 with replacement: a 1-tuple when there was one, else a set.
 * bad:    line numbers of lines with fewer than 7 fields (blank lines and "#" comments are not bad).
 * lines:  how many lines the blocks held.
 *
 * Identical requests are counted in a table of this module's own, keyed by the raw bytes: no Python object is
 * made for a line that repeats a known request, and equal short fields (status, method, client) are one object
 * each. `seed` keys the hash (a random number from the caller), so a crafted log cannot choose colliding keys.
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

#define SAMPLE_URL 200
#define TS_INLINE 31

typedef struct {
    uint64_t hash;
    PyObject *url; /* bytes; with code and method, the key */
    PyObject *code;
    PyObject *method;
    Py_ssize_t count;
    Py_ssize_t lineno;
    PyObject *first;   /* the first request's timestamp, bytes */
    PyObject *last;    /* the last one's when it did not fit in last_ts (rare), else NULL */
    PyObject *clients; /* one client (str) until a second one comes, then a set */
    PyObject *sample;  /* the first request's URL, at most SAMPLE_URL bytes */
    signed char last_len; /* -1: no later request; 0..TS_INLINE: last_ts holds it; -2: in `last` */
    char last_ts[TS_INLINE];
} Row;

/* Open addressing, linear probing: slots hold an index + 1 (0 when empty), a power of two of them. */
typedef struct {
    Py_ssize_t *slots;
    size_t mask;
    Py_ssize_t n;
} Index;

typedef struct {
    uint64_t hash;
    PyObject *raw;   /* bytes: the field as logged */
    PyObject *value; /* what stands for it: the same bytes, or its text */
} Short;

/* Equal values of a short field as one object each, made at first sight: bytes, or str (decoded). */
typedef struct {
    Short *values;
    Py_ssize_t cap;
    Index index; /* into values */
    int text;
} Shared;

typedef struct {
    Row *rows;
    Py_ssize_t cap;
    Index keys;     /* into rows */
    Shared fields;  /* status and method, bytes */
    Shared clients; /* str */
    uint64_t seed;
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

static uint64_t hash_piece(uint64_t h, const unsigned char *p, Py_ssize_t n) {
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, (size_t)n);
    h = (h ^ v ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static inline int same(PyObject *field, const char *p, Py_ssize_t n) {
    return PyBytes_GET_SIZE(field) == n && memcmp(PyBytes_AS_STRING(field), p, (size_t)n) == 0;
}

static int index_init(Index *index) {
    index->mask = 1023;
    index->n = 0;
    index->slots = PyMem_Calloc(index->mask + 1, sizeof(Py_ssize_t));
    if (index->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Twice the slots, filled again from the entries' hashes (each entry, `stride` bytes long, starts with its hash). */
static int index_grow(Index *index, const void *entries, size_t stride) {
    size_t size = (index->mask + 1) * 2;
    Py_ssize_t *slots = PyMem_Calloc(size, sizeof(Py_ssize_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < index->n; i++) {
        uint64_t hash = *(const uint64_t *)((const char *)entries + (size_t)i * stride);
        size_t at = (size_t)hash & (size - 1);
        while (slots[at])
            at = (at + 1) & (size - 1);
        slots[at] = i + 1;
    }
    PyMem_Free(index->slots);
    index->slots = slots;
    index->mask = size - 1;
    return 0;
}

/* Make room for one more entry in an array of `*cap` entries of `stride` bytes holding `n`. */
static int reserve(void **entries, Py_ssize_t *cap, Py_ssize_t n, size_t stride) {
    if (n < *cap)
        return 0;
    Py_ssize_t more = *cap ? *cap * 2 : 256;
    void *grown = PyMem_Realloc(*entries, (size_t)more * stride);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *entries = grown;
    *cap = more;
    return 0;
}

/* The one object for a short field's value (a new reference). */
static PyObject *shared(Shared *s, uint64_t seed, const char *p, Py_ssize_t n) {
    uint64_t hash = mix(hash_piece(seed, (const unsigned char *)p, n));
    size_t at = (size_t)hash & s->index.mask;
    for (Py_ssize_t i; (i = s->index.slots[at]) != 0; at = (at + 1) & s->index.mask) {
        Short *known = &s->values[i - 1];
        if (known->hash == hash && same(known->raw, p, n))
            return Py_NewRef(known->value);
    }
    if (reserve((void **)&s->values, &s->cap, s->index.n, sizeof(Short)) < 0)
        return NULL;
    PyObject *raw = PyBytes_FromStringAndSize(p, n);
    if (raw == NULL)
        return NULL;
    PyObject *value = s->text ? PyUnicode_DecodeUTF8(p, n, "replace") : Py_NewRef(raw);
    if (value == NULL) {
        Py_DECREF(raw);
        return NULL;
    }
    s->values[s->index.n] = (Short){hash, raw, value};
    s->index.slots[at] = ++s->index.n;
    if ((size_t)s->index.n * 2 > s->index.mask && index_grow(&s->index, s->values, sizeof(Short)) < 0)
        return NULL; /* the entry is kept: clear_shared lets it go */
    return Py_NewRef(value);
}

static void clear_shared(Shared *s) {
    for (Py_ssize_t i = 0; i < s->index.n; i++) {
        Py_DECREF(s->values[i].raw);
        Py_DECREF(s->values[i].value);
    }
    PyMem_Free(s->values);
    PyMem_Free(s->index.slots);
}

static void clear_row(Row *row) {
    Py_CLEAR(row->url);
    Py_CLEAR(row->code);
    Py_CLEAR(row->method);
    Py_CLEAR(row->first);
    Py_CLEAR(row->last);
    Py_CLEAR(row->clients);
    Py_CLEAR(row->sample);
}

static void clear_table(Table *t) {
    for (Py_ssize_t i = 0; i < t->keys.n; i++)
        clear_row(&t->rows[i]);
    PyMem_Free(t->rows);
    PyMem_Free(t->keys.slots);
    clear_shared(&t->fields);
    clear_shared(&t->clients);
}

/* Where the first "://" of a URL starts, -1 when it has none. */
static Py_ssize_t find_scheme_end(const char *p, Py_ssize_t n) {
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

/* A new row at key slot `at` for the line (its url cut to `cut` bytes); 0, or -1 with an exception set. */
static int add_row(Table *t, size_t at, uint64_t hash, Py_ssize_t lineno, const Line *f, Py_ssize_t cut) {
    if (reserve((void **)&t->rows, &t->cap, t->keys.n, sizeof(Row)) < 0)
        return -1;
    Row *row = &t->rows[t->keys.n];
    memset(row, 0, sizeof(Row));
    row->hash = hash;
    row->count = 1;
    row->lineno = lineno;
    row->last_len = -1;
    row->url = PyBytes_FromStringAndSize(f->at[URL], cut);
    row->code = shared(&t->fields, t->seed, f->at[CODE], f->len[CODE]);
    row->method = shared(&t->fields, t->seed, f->at[METHOD], f->len[METHOD]);
    row->first = PyBytes_FromStringAndSize(f->at[TS], f->len[TS]);
    row->clients = shared(&t->clients, t->seed, f->at[CLIENT], f->len[CLIENT]);
    if (row->url != NULL && cut == f->len[URL] && cut <= SAMPLE_URL)
        row->sample = Py_NewRef(row->url); /* what slicing a short bytes object whole gives */
    else
        row->sample = PyBytes_FromStringAndSize(f->at[URL], Py_MIN(f->len[URL], SAMPLE_URL));
    if (!row->url || !row->code || !row->method || !row->first || !row->clients || !row->sample) {
        clear_row(row);
        return -1;
    }
    t->keys.slots[at] = ++t->keys.n;
    if ((size_t)t->keys.n * 2 > t->keys.mask)
        return index_grow(&t->keys, t->rows, sizeof(Row));
    return 0;
}

/* One more request of a known row; 0, or -1 with an exception set. */
static int count_again(Table *t, Row *row, const Line *f, long sample) {
    if (f->len[TS] <= TS_INLINE) {
        memcpy(row->last_ts, f->at[TS], (size_t)f->len[TS]);
        row->last_len = (signed char)f->len[TS];
    } else {
        PyObject *ts = PyBytes_FromStringAndSize(f->at[TS], f->len[TS]);
        if (ts == NULL)
            return -1;
        Py_XSETREF(row->last, ts);
        row->last_len = -2;
    }
    if (++row->count >= sample)
        return 0;
    PyObject *client = shared(&t->clients, t->seed, f->at[CLIENT], f->len[CLIENT]);
    if (client == NULL)
        return -1;
    int status = 0;
    if (PyUnicode_CheckExact(row->clients)) {
        if (client != row->clients) { /* a second client: from now on a set */
            PyObject *both = PySet_New(NULL);
            if (both == NULL || PySet_Add(both, row->clients) < 0 || PySet_Add(both, client) < 0) {
                Py_XDECREF(both);
                status = -1;
            } else {
                Py_SETREF(row->clients, both);
            }
        }
    } else {
        status = PySet_Add(row->clients, client);
    }
    Py_DECREF(client);
    return status;
}

/* Count the lines of one block; 0, or -1 with an exception set. */
static int count_block(Table *t, const char *data, Py_ssize_t size, Py_ssize_t *lineno, long sample,
                       PyObject *bad) {
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
            while (p < stop && !is_space[(unsigned char)*p])
                p++;
            f.len[found] = p - f.at[found];
        }
        if (found < FIELDS) {
            if (found > 0 && f.at[TS][0] != '#') {
                PyObject *n = PyLong_FromSsize_t(*lineno);
                if (n == NULL || PyList_Append(bad, n) < 0) {
                    Py_XDECREF(n);
                    return -1;
                }
                Py_DECREF(n);
            }
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
            uint64_t h = hash_piece(t->seed, (const unsigned char *)url, cut);
            h = hash_piece(h, (const unsigned char *)f.at[CODE], f.len[CODE]);
            h = mix(hash_piece(h, (const unsigned char *)f.at[METHOD], f.len[METHOD]));
            size_t at = (size_t)h & t->keys.mask;
            Row *row = NULL;
            for (Py_ssize_t i; (i = t->keys.slots[at]) != 0; at = (at + 1) & t->keys.mask) {
                Row *r = &t->rows[i - 1];
                if (r->hash == h && same(r->url, url, cut) && same(r->code, f.at[CODE], f.len[CODE]) &&
                    same(r->method, f.at[METHOD], f.len[METHOD])) {
                    row = r;
                    break;
                }
            }
            if ((row == NULL ? add_row(t, at, h, *lineno, &f, cut) : count_again(t, row, &f, sample)) < 0)
                return -1;
        }
        ++*lineno;
        if (stop == end)
            return 0;
        line = stop + 1;
    }
}

/* What float() makes of a timestamp (a new reference), None where it raises ValueError; NULL on other errors. */
static PyObject *time_of(PyObject *raw) {
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

/* The rows as tuples, in order of first request; each row's references pass to its tuple. */
static PyObject *row_tuples(Table *t) {
    PyObject *rows = PyList_New(t->keys.n);
    if (rows == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < t->keys.n; i++) {
        Row *row = &t->rows[i];
        PyObject *first = time_of(row->first);
        row->first = NULL;
        PyObject *last = first == NULL           ? NULL
                         : row->last_len == -1   ? Py_NewRef(first)
                         : row->last_len == -2   ? time_of(Py_NewRef(row->last))
                                                 : time_of(PyBytes_FromStringAndSize(row->last_ts, row->last_len));
        PyObject *clients = PyUnicode_CheckExact(row->clients) ? PyTuple_Pack(1, row->clients) : Py_NewRef(row->clients);
        PyObject *count = PyLong_FromSsize_t(row->count);
        PyObject *lineno = PyLong_FromSsize_t(row->lineno);
        PyObject *tuple = PyTuple_New(9);
        if (!first || !last || !clients || !count || !lineno || !tuple) {
            Py_XDECREF(first);
            Py_XDECREF(last);
            Py_XDECREF(clients);
            Py_XDECREF(count);
            Py_XDECREF(lineno);
            Py_XDECREF(tuple);
            Py_DECREF(rows);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, 0, row->url);
        PyTuple_SET_ITEM(tuple, 1, row->code);
        PyTuple_SET_ITEM(tuple, 2, row->method);
        PyTuple_SET_ITEM(tuple, 3, count);
        PyTuple_SET_ITEM(tuple, 4, lineno);
        PyTuple_SET_ITEM(tuple, 5, first);
        PyTuple_SET_ITEM(tuple, 6, last);
        PyTuple_SET_ITEM(tuple, 7, clients);
        PyTuple_SET_ITEM(tuple, 8, row->sample);
        row->url = row->code = row->method = row->sample = NULL; /* the tuple's now */
        Py_CLEAR(row->last);
        Py_CLEAR(row->clients);
        PyList_SET_ITEM(rows, i, tuple);
    }
    return rows;
}

static PyObject *count(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *blocks;
    Py_ssize_t lineno;
    long sample;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OnlK:count", &blocks, &lineno, &sample, &seed))
        return NULL;
    PyObject *it = PyObject_GetIter(blocks);
    if (it == NULL)
        return NULL;
    Table t = {0};
    t.seed = mix(seed);
    PyObject *bad = PyList_New(0);
    PyObject *rows = NULL, *result = NULL;
    Py_ssize_t first = lineno;
    t.clients.text = 1;
    if (bad == NULL || index_init(&t.keys) < 0 || index_init(&t.fields.index) < 0 ||
        index_init(&t.clients.index) < 0)
        goto done;
    PyObject *block;
    while ((block = PyIter_Next(it)) != NULL) {
        Py_buffer view;
        if (PyObject_GetBuffer(block, &view, PyBUF_SIMPLE) < 0) {
            Py_DECREF(block);
            goto done;
        }
        int status = count_block(&t, view.buf, view.len, &lineno, sample, bad);
        PyBuffer_Release(&view);
        Py_DECREF(block);
        if (status < 0)
            goto done;
    }
    if (PyErr_Occurred())
        goto done;
    rows = row_tuples(&t);
    if (rows != NULL)
        result = Py_BuildValue("(OOn)", rows, bad, lineno - first);
done:
    Py_XDECREF(rows);
    Py_XDECREF(bad);
    Py_DECREF(it);
    clear_table(&t);
    return result;
}

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
    return PyModule_Create(&module);
}
