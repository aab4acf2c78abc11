/* convert(): the common rows of count() into a Tally, as squid_native._convert makes them (its contract is in
 * _squid_count.c's opening comment). */
#include "_squid_table.h"

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
    return sq_find_scheme_end(p, n) < 0;
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

PyObject *sq_convert(PyObject *Py_UNUSED(module), PyObject *args) {
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
