/* hostnames.plain_destination in C: the same answers (a hypothesis test holds them equal), about 5x as quick.
 *
 * plain_destination(authority: str, default: int) -> (host, port) | None
 *     (host, port) of an authority whose name is already canonical and belongs in an allowlist: two or more
 *     labels of 1 to 63 of [a-z0-9-] that neither start nor end with "-", the last starting with a letter, at
 *     most 253 characters, no "xn--", not a local name nor under .localhost; then an optional ":" and 1 to 5
 *     digits naming a port from 1 to 65535 (else `default`). None means the Python slow path must decide.
 * set_local_names(names: frozenset[str]) -> None
 *     The names that are never a destination (hostnames.LOCAL_NAMES), given once at import.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_NAME 253
#define MAX_LABEL 63

static PyObject *local_names;
static PyObject *ports[65536]; /* each port one int object, made at first use, however many names use it */

static inline int is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

/* The port after the colon ("443"), 1..65535; 0 when it is not 1 to 5 digits naming one. */
static long port_of(const char *p, Py_ssize_t n) {
    if (n < 1 || n > 5)
        return 0;
    long port = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        port = port * 10 + (p[i] - '0');
    }
    return port < 65536 ? port : 0;
}

/* Whether the name is plain: the labels, the length, no A-label, not under .localhost. */
static int plain_name(const char *s, Py_ssize_t n) {
    if (n > MAX_NAME)
        return 0;
    Py_ssize_t start = 0, labels = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!is_ldh(s[i]))
                return 0;
            continue;
        }
        Py_ssize_t len = i - start;
        if (len < 1 || len > MAX_LABEL || s[start] == '-' || s[i - 1] == '-')
            return 0;
        if (i == n && !(s[start] >= 'a' && s[start] <= 'z')) /* the last label: not an IPv4 literal's */
            return 0;
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return 0;
    for (Py_ssize_t i = 0; i + 3 < n; i++)
        if (s[i] == 'x' && memcmp(s + i, "xn--", 4) == 0)
            return 0;
    return !(n >= 10 && memcmp(s + n - 10, ".localhost", 10) == 0);
}

static PyObject *plain_destination(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "plain_destination(authority: str, default: int)");
        return NULL;
    }
    PyObject *authority = args[0];
    if (!PyUnicode_IS_ASCII(authority)) /* a plain name is ASCII */
        Py_RETURN_NONE;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(authority);
    Py_ssize_t n = PyUnicode_GET_LENGTH(authority);
    const char *colon = memchr(s, ':', (size_t)n);
    Py_ssize_t name_len = colon == NULL ? n : colon - s;
    long port = colon == NULL ? -1 : port_of(colon + 1, n - name_len - 1);
    if (port == 0 || !plain_name(s, name_len))
        Py_RETURN_NONE;
    PyObject *host = colon == NULL ? Py_NewRef(authority) : PyUnicode_Substring(authority, 0, name_len);
    if (host == NULL)
        return NULL;
    int local = local_names == NULL ? 0 : PySet_Contains(local_names, host);
    if (local != 0) {
        Py_DECREF(host);
        if (local < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    PyObject *port_obj;
    if (port < 0) {
        port_obj = args[1];
    } else {
        if (ports[port] == NULL && (ports[port] = PyLong_FromLong(port)) == NULL) {
            Py_DECREF(host);
            return NULL;
        }
        port_obj = ports[port];
    }
    PyObject *result = PyTuple_Pack(2, host, port_obj);
    Py_DECREF(host);
    return result;
}

static PyObject *set_local_names(PyObject *Py_UNUSED(module), PyObject *names) {
    if (!PyAnySet_Check(names)) {
        PyErr_SetString(PyExc_TypeError, "set_local_names(names: frozenset[str])");
        return NULL;
    }
    Py_XSETREF(local_names, Py_NewRef(names));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"plain_destination", (PyCFunction)(void (*)(void))plain_destination, METH_FASTCALL,
     "plain_destination(authority, default) -> (host, port) | None: hostnames.plain_destination in C."},
    {"set_local_names", set_local_names, METH_O, "set_local_names(names): the names never a destination."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_hostnames",
    .m_doc = "hostnames.plain_destination in C.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__hostnames(void) { return PyModule_Create(&module); }
