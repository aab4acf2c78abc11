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
 * sq_convert(rows, counted, add, method_and_outcome) -> rows left
 *
 * The rows of count() that squid_native._convert would take as a tunnel's own host:port (CONNECT with a URL
 * that is UTF-8, holds no "://" and does not start with "error:", "cache_object:" or "-", its sample URL the
 * URL itself) go into a Tally's rows as it puts them there: `counted[(method, None, url, outcome)] = [count,
 * lineno, first, last, "", clients]`, or `add(...)` (Tally.add) when the kind is there already. (method,
 * outcome) comes from method_and_outcome(status, method), asked once per pair. `rows` comes reversed (the first
 * row last) and is emptied; every row not taken is returned, in order, for the Python loop.
 *
 * This file holds the module's functions and the Counter type; the table they share is in _squid_table.h.
 */
#include "_squid_table.h"

#define MAX_SAMPLE 4096
#define RELEASE_GIL_FROM 4096 /* bytes in a block: smaller ones are counted with the GIL held */

/* Count one bytes-like block into the table (the GIL let go for a big one); 0, or -1 with an exception set. */
static int feed_table(Table *t, PyObject *block) {
    Py_buffer view;
    if (PyObject_GetBuffer(block, &view, PyBUF_SIMPLE) < 0)
        return -1;
    int status;
    if (view.len >= RELEASE_GIL_FROM) {
        Py_BEGIN_ALLOW_THREADS
        status = sq_count_block(t, view.buf, view.len);
        Py_END_ALLOW_THREADS
    } else {
        status = sq_count_block(t, view.buf, view.len);
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
    if (sq_table_init(&t, lineno, sample, mix(seed)) < 0) {
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
        result = sq_table_result(&t);
done:
    Py_DECREF(it);
    sq_table_free(&t);
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
    if (sq_table_init(&self->t, lineno, sample, mix(seed)) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void Counter_dealloc(Counter *self) {
    sq_table_free(&self->t);
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
    if (sq_table_absorb(&self->t, &later->t) < 0) {
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
    PyObject *result = sq_table_result(&self->t); /* (which frees the table) */
    if (sq_table_init(&self->t, next, sample, seed) < 0) {
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

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS,
     "count(blocks, first_lineno, sample, seed) -> (rows, bad line numbers, lines): the native log's per-line "
     "loop (see egressmap.sources.squid_count.tally_native)."},
    {"convert", sq_convert, METH_VARARGS,
     "sq_convert(rows, counted, add, method_and_outcome) -> the rows left: the tunnels' own host:port rows into a "
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
    sq_loop_setup();
    if (PyType_Ready(&CounterType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "Counter", (PyObject *)&CounterType) < 0)
        Py_CLEAR(m);
    return m;
}
