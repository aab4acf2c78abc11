/* A table's rows as Python objects, made with the GIL: see _squid_table.h. */
#include "_squid_table.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
PyObject *sq_table_result(Table *t) {
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
    sq_table_free(t);
    give_back();
    Py_XDECREF(fields);
    Py_XDECREF(clients);
    Py_XDECREF(rows);
    Py_XDECREF(bad);
    return result;
}
