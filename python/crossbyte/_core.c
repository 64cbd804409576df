/* crossbyte._core: the CPython extension over the C library (crossbyte.h).
 *
 * A thin layer: it turns Python texts into cb_pair arrays, calls the library
 * with the GIL released, and turns cb_status codes into exceptions. The
 * sentence-transformers API (CrossEncoder, SentenceEncoder) is Python code in
 * crossbyte/__init__.py on top of this.
 *
 * Texts are str (encoded to UTF-8; a lone surrogate is InvalidUTF8Error) or
 * bytes (passed as they are, so the library validates the UTF-8). Anything
 * else is TypeError. While the GIL is released the library reads the texts'
 * bytes in place: every text object is held by a reference of our own for
 * the call, so another thread mutating the caller's lists cannot free them.
 *
 * Threads: a Model may be used by any number of threads at once (the library
 * gives each call its own workspace). The only global state is the module's
 * exception types, made once at import. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "crossbyte.h"

/* ---- exceptions ------------------------------------------------------------ */

/* One class per cb_status, all subclasses of crossbyte.Error, each also a
 * built-in exception where one fits. */
typedef struct error_spec {
    cb_status code;
    const char *name;      /* "crossbyte.Name" */
    int parent;            /* index in error_specs of a crossbyte parent, -1 = Error */
    const char *builtin;   /* name of a builtin base, or NULL */
    const char *doc;
} error_spec;

enum { N_CODES = CB_ERR_WRONG_MODEL_KIND + 1 };

static const error_spec error_specs[] = {
    { CB_ERR_INVALID_ARGUMENT, "crossbyte.InvalidArgumentError", -1, "ValueError", "An option value out of range." },
    { CB_ERR_OUT_OF_MEMORY, "crossbyte.OutOfMemoryError", -1, "MemoryError", "An allocation failed." },
    { CB_ERR_IO, "crossbyte.FileError", -1, "OSError", "A file could not be opened, read, mapped or written." },
    { CB_ERR_MODEL_FORMAT, "crossbyte.ModelFormatError", -1, "ValueError",
      "Not a .cbm file, or a truncated or corrupt one." },
    { CB_ERR_MODEL_VERSION, "crossbyte.ModelVersionError", 3, NULL,
      "A .cbm file of a format version this build cannot read." },
    { CB_ERR_UNSUPPORTED_MODEL, "crossbyte.UnsupportedModelError", -1, "ValueError",
      "Architecture, activation, tokenizer or dtype not supported." },
    { CB_ERR_MISSING_FILE, "crossbyte.MissingFileError", 2, "FileNotFoundError",
      "A model file, or a file a Hugging Face folder needs, does not exist." },
    { CB_ERR_HF_FORMAT, "crossbyte.HFFormatError", -1, "ValueError",
      "config.json, safetensors or a tokenizer file is malformed." },
    { CB_ERR_INVALID_UTF8, "crossbyte.InvalidUTF8Error", -1, "ValueError",
      "A text is not valid UTF-8 (bytes), or a str holds a lone surrogate." },
    { CB_ERR_TEXT_TOO_LONG, "crossbyte.TextTooLongError", -1, "ValueError", "A text exceeds 16 MiB." },
    { CB_ERR_MAX_LENGTH, "crossbyte.MaxLengthError", -1, "ValueError",
      "max_length outside [special tokens, the model's positions]." },
    { CB_ERR_BACKEND, "crossbyte.BackendError", -1, "RuntimeError", "XNNPACK refused an operation." },
    { CB_ERR_NOT_SINGLE_LABEL, "crossbyte.NotSingleLabelError", -1, "ValueError",
      "rank() on a model with several labels." },
    { CB_ERR_WRONG_MODEL_KIND, "crossbyte.WrongModelKindError", -1, "ValueError",
      "A bi-encoder where a cross-encoder is needed, or the other way round." },
};
enum { N_SPECS = sizeof error_specs / sizeof error_specs[0] };

/* The module's exception types: set once in PyInit__core, read-only after. */
static PyObject *error_base;
static PyObject *error_types[N_CODES];

static PyObject *error_type(cb_status code)
{
    if ((int)code > 0 && (int)code < N_CODES && error_types[code]) return error_types[code];
    return error_base;
}

/* Raises the exception of `code` with `message`. Returns NULL. */
static PyObject *raise_code(cb_status code, const char *message)
{
    PyObject *type = error_type(code);
    PyObject *exc = PyObject_CallFunction(type, "s", message);
    if (!exc) return NULL;
    PyObject *c = PyLong_FromLong((long)code);
    if (!c || PyObject_SetAttrString(exc, "code", c) < 0) {
        Py_XDECREF(c);
        Py_DECREF(exc);
        return NULL;
    }
    Py_DECREF(c);
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *raise_err(const cb_error *err)
{
    return raise_code(err->code, err->message[0] ? err->message : cb_status_string(err->code));
}

static int make_errors(PyObject *module)
{
    PyObject *builtins = PyEval_GetBuiltins();   /* borrowed */
    error_base = PyErr_NewExceptionWithDoc(
        "crossbyte.Error",
        "Base class of crossbyte's errors. `code` is the C library's cb_status (an int), "
        "str(error) its message.",
        NULL, NULL);
    if (!error_base || PyObject_SetAttrString(error_base, "code", Py_None) < 0) return -1;
    if (PyModule_AddObjectRef(module, "Error", error_base) < 0) return -1;
    PyObject *made[N_SPECS] = { 0 };
    for (int i = 0; i < N_SPECS; i++) {
        const error_spec *s = &error_specs[i];
        PyObject *first = s->parent < 0 ? error_base : made[s->parent];
        PyObject *bases = NULL;
        if (s->builtin) {
            PyObject *b = PyDict_GetItemString(builtins, s->builtin);   /* borrowed */
            if (!b) {
                PyErr_Format(PyExc_SystemError, "no builtin %s", s->builtin);
                return -1;
            }
            bases = PyTuple_Pack(2, first, b);
        } else {
            bases = PyTuple_Pack(1, first);
        }
        if (!bases) return -1;
        PyObject *t = PyErr_NewExceptionWithDoc(s->name, s->doc, bases, NULL);
        Py_DECREF(bases);
        if (!t) return -1;
        PyObject *c = PyLong_FromLong((long)s->code);
        if (!c || PyObject_SetAttrString(t, "code", c) < 0) {
            Py_XDECREF(c);
            Py_DECREF(t);
            return -1;
        }
        Py_DECREF(c);
        made[i] = t;
        error_types[s->code] = t;   /* the array keeps the reference */
        if (PyModule_AddObjectRef(module, strchr(s->name, '.') + 1, t) < 0) return -1;
    }
    return 0;
}

/* ---- texts -------------------------------------------------------------------- */

/* The UTF-8 bytes of one text. `what` names it in messages ("pair 3, text 2").
 * Returns 0 and sets an exception on failure. */
static int text_bytes(PyObject *o, const char **s, size_t *n, const char *what)
{
    if (PyUnicode_Check(o)) {
        Py_ssize_t len = 0;
        const char *p = PyUnicode_AsUTF8AndSize(o, &len);
        if (!p) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return 0;
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            Py_ssize_t at = -1;
            if (value) PyUnicodeEncodeError_GetStart(value, &at);
            PyErr_Clear();
            Py_XDECREF(type);
            Py_XDECREF(tb);
            char msg[CB_ERROR_MESSAGE_SIZE];
            snprintf(msg, sizeof msg, "%s is not valid UTF-8: a lone surrogate at character %zd", what, at);
            raise_code(CB_ERR_INVALID_UTF8, msg);
            /* chain the UnicodeEncodeError as the cause */
            if (value) {
                PyObject *t2, *v2, *tb2;
                PyErr_Fetch(&t2, &v2, &tb2);
                PyErr_NormalizeException(&t2, &v2, &tb2);
                if (v2) PyException_SetCause(v2, value);   /* steals value */
                else Py_DECREF(value);
                PyErr_Restore(t2, v2, tb2);
            }
            return 0;
        }
        *s = p;
        *n = (size_t)len;
        return 1;
    }
    if (PyBytes_Check(o)) {
        *s = PyBytes_AS_STRING(o);
        *n = (size_t)PyBytes_GET_SIZE(o);
        return 1;
    }
    PyErr_Format(PyExc_TypeError, "%s must be str (or UTF-8 bytes), not %.80s", what, Py_TYPE(o)->tp_name);
    return 0;
}

/* Owned references to the text objects of one call, so their bytes stay put
 * while the GIL is released. */
typedef struct held {
    PyObject **objs;
    size_t n, cap;
} held;

static int held_init(held *h, size_t cap)
{
    h->n = 0;
    h->cap = cap;
    h->objs = PyMem_Calloc(cap ? cap : 1, sizeof *h->objs);
    if (!h->objs) {
        PyErr_NoMemory();
        return 0;
    }
    return 1;
}

static void held_push(held *h, PyObject *o)
{
    Py_INCREF(o);
    h->objs[h->n++] = o;
}

static void held_free(held *h)
{
    for (size_t i = 0; i < h->n; i++) Py_DECREF(h->objs[i]);
    PyMem_Free(h->objs);
    h->objs = NULL;
    h->n = 0;
}

/* The pairs of a Python sequence of 2-sequences. On success *out (PyMem) and
 * the held references are the caller's to free. */
static int collect_pairs(PyObject *seq, cb_pair **out, size_t *n_out, held *h)
{
    PyObject *fast = PySequence_Fast(seq, "pairs must be a sequence of (text, text) pairs");
    if (!fast) return 0;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    cb_pair *pairs = PyMem_Calloc(n ? (size_t)n : 1, sizeof *pairs);
    if (!pairs) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return 0;
    }
    if (!held_init(h, 2 * (size_t)n)) {
        PyMem_Free(pairs);
        Py_DECREF(fast);
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *p = PySequence_Fast_GET_ITEM(fast, i);   /* borrowed; fast holds it */
        if (!PyList_Check(p) && !PyTuple_Check(p)) {
            PyErr_Format(PyExc_TypeError, "pair %zd must be a list or tuple of two texts, not %.80s", i,
                         Py_TYPE(p)->tp_name);
            goto fail;
        }
        if (PySequence_Size(p) != 2) {
            PyErr_Format(PyExc_TypeError, "pair %zd must hold two texts, not %zd", i, PySequence_Size(p));
            goto fail;
        }
        for (int k = 0; k < 2; k++) {
            PyObject *t = PySequence_GetItem(p, k);   /* new reference */
            if (!t) goto fail;
            held_push(h, t);
            Py_DECREF(t);   /* held keeps one */
            char what[64];
            snprintf(what, sizeof what, "pair %zd, text %d", i, k + 1);
            const char *s;
            size_t len;
            if (!text_bytes(t, &s, &len, what)) goto fail;
            if (k == 0) {
                pairs[i].a = s;
                pairs[i].a_len = len;
            } else {
                pairs[i].b = s;
                pairs[i].b_len = len;
            }
        }
    }
    Py_DECREF(fast);
    *out = pairs;
    *n_out = (size_t)n;
    return 1;
fail:
    Py_DECREF(fast);
    PyMem_Free(pairs);
    held_free(h);
    return 0;
}

/* A sequence of texts as pointers and lengths (PyMem, caller frees). */
static int collect_texts(PyObject *seq, const char ***texts, size_t **lens, size_t *n_out, held *h)
{
    PyObject *fast = PySequence_Fast(seq, "texts must be a sequence of str");
    if (!fast) return 0;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    const char **t = PyMem_Calloc(n ? (size_t)n : 1, sizeof *t);
    size_t *l = PyMem_Calloc(n ? (size_t)n : 1, sizeof *l);
    int ok = t && l;
    if (!ok) PyErr_NoMemory();
    else ok = held_init(h, (size_t)n);
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
        held_push(h, o);
        char what[48];
        snprintf(what, sizeof what, "text %zd", i);
        ok = text_bytes(o, &t[i], &l[i], what);
        if (!ok) held_free(h);
    }
    Py_DECREF(fast);
    if (!ok) {
        PyMem_Free(t);
        PyMem_Free(l);
        return 0;
    }
    *texts = t;
    *lens = l;
    *n_out = (size_t)n;
    return 1;
}

/* ---- Model ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    cb_model *m;
} ModelObject;

static PyTypeObject Model_Type;

static int path_bytes(PyObject *arg, PyObject **out)
{
    /* str, bytes or os.PathLike, as the file system encodes it */
    return PyUnicode_FSConverter(arg, out);
}

static int Model_init(ModelObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "path", "num_threads", NULL };
    PyObject *path = NULL;
    int threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|i:Model", kwlist, path_bytes, &path, &threads)) return -1;
    if (self->m) {
        Py_DECREF(path);
        PyErr_SetString(PyExc_RuntimeError, "Model is already loaded");
        return -1;
    }
    if (threads < 0 || threads > 256) {
        Py_DECREF(path);
        char msg[96];
        snprintf(msg, sizeof msg, "num_threads %d is out of range (1 to 256)", threads);
        raise_code(CB_ERR_INVALID_ARGUMENT, msg);
        return -1;
    }
    const cb_load_options lo = { .n_threads = threads };
    cb_model *m = NULL;
    cb_error err;
    cb_status s;
    Py_BEGIN_ALLOW_THREADS
    s = cb_model_load(PyBytes_AS_STRING(path), &lo, &m, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (s != CB_OK) {
        raise_err(&err);
        return -1;
    }
    self->m = m;
    return 0;
}

static void Model_dealloc(ModelObject *self)
{
    cb_model_free(self->m);
    self->m = NULL;
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int loaded(const ModelObject *self)
{
    if (self->m) return 1;
    PyErr_SetString(PyExc_RuntimeError, "Model was not loaded (its __init__ failed or was not called)");
    return 0;
}

/* A float32 buffer Python can wrap without a copy (numpy.frombuffer). */
static PyObject *float_buffer(size_t count, float **data)
{
    if (count > (size_t)PY_SSIZE_T_MAX / sizeof(float)) return PyErr_NoMemory();
    PyObject *buf = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)(count * sizeof(float)));
    if (buf) *data = (float *)(void *)PyByteArray_AS_STRING(buf);
    return buf;
}

PyDoc_STRVAR(Model_predict_doc,
             "predict(pairs, max_length=0, batch_size=0, activation=0, long_document=0, stride=0, aggregate=0,\n"
             "        windows=False, timed=False) -> bytearray\n\n"
             "Scores of the pairs as float32 bytes, pair-major (n * num_labels). activation: 0 = the "
             "model's default, 1 = none, 2 = sigmoid, 3 = softmax. long_document: 0 = truncate, 1 = chunk; "
             "stride and aggregate (0 = max, 1 = first, 2 = mean) as cb_predict_options. The GIL is released "
             "while scoring. windows=True also returns, per pair, (begin, end, index, count): the bytes of the "
             "passage's UTF-8 its score comes from; timed=True also returns the seconds spent in the library "
             "(the benchmark's measure of the binding's own cost). The result is then a tuple: (bytes, "
             "windows) or (bytes, seconds) or (bytes, windows, seconds).");

static PyObject *window_list(const cb_window *w, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *t = Py_BuildValue("(nnii)", (Py_ssize_t)w[i].begin, (Py_ssize_t)w[i].end, w[i].index, w[i].count);
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

static PyObject *Model_predict(ModelObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "pairs", "max_length", "batch_size", "activation", "long_document", "stride",
                              "aggregate", "windows", "timed", NULL };
    PyObject *seq;
    cb_predict_options o = cb_predict_default_options(NULL);
    int act = 0, mode = 0, agg = 0, want_windows = 0, timed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|iiiiiipp:predict", kwlist, &seq, &o.max_length, &o.batch_size,
                                     &act, &mode, &o.stride, &agg, &want_windows, &timed))
        return NULL;
    if (!loaded(self)) return NULL;
    o.activation = (cb_activation)act;
    o.long_document = (cb_long_document)mode;
    o.aggregate = (cb_aggregate)agg;
    cb_pair *pairs;
    size_t n;
    held h;
    if (!collect_pairs(seq, &pairs, &n, &h)) return NULL;
    const size_t L = (size_t)cb_model_num_labels(self->m);
    float *scores = NULL;
    PyObject *buf = float_buffer(n * L, &scores);
    cb_window *windows = want_windows ? PyMem_Calloc(n ? n : 1, sizeof *windows) : NULL;
    if (!buf || (want_windows && !windows)) {
        Py_XDECREF(buf);
        PyMem_Free(pairs);
        held_free(&h);
        return PyErr_NoMemory();
    }
    cb_error err;
    cb_status s;
    struct timespec t0 = { 0 }, t1 = { 0 };
    Py_BEGIN_ALLOW_THREADS
    if (timed) clock_gettime(CLOCK_MONOTONIC, &t0);
    s = cb_predict_windows(self->m, pairs, n, &o, scores, windows, &err);
    if (timed) clock_gettime(CLOCK_MONOTONIC, &t1);
    Py_END_ALLOW_THREADS
    PyMem_Free(pairs);
    held_free(&h);
    if (s != CB_OK) {
        Py_DECREF(buf);
        PyMem_Free(windows);
        return raise_err(&err);
    }
    if (!timed && !want_windows) return buf;
    PyObject *wl = NULL;
    if (want_windows) {
        wl = window_list(windows, n);
        PyMem_Free(windows);
        if (!wl) {
            Py_DECREF(buf);
            return NULL;
        }
    }
    const double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (timed && wl) return Py_BuildValue("(NNd)", buf, wl, secs);
    if (wl) return Py_BuildValue("(NN)", buf, wl);
    return Py_BuildValue("(Nd)", buf, secs);
}

PyDoc_STRVAR(Model_embed_doc,
             "embed(texts, max_length=0, batch_size=0, normalize=0) -> bytearray\n\n"
             "Embeddings of the texts (a bi-encoder) as float32 bytes, text-major (n * embedding_size). "
             "normalize: 0 = as the model says, 1 = always, -1 = never. The GIL is released.");

static PyObject *Model_embed(ModelObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "texts", "max_length", "batch_size", "normalize", NULL };
    PyObject *seq;
    cb_embed_options o = { 0 };
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|iii:embed", kwlist, &seq, &o.max_length, &o.batch_size,
                                     &o.normalize))
        return NULL;
    if (!loaded(self)) return NULL;
    const char **texts;
    size_t *lens, n;
    held h;
    if (!collect_texts(seq, &texts, &lens, &n, &h)) return NULL;
    const size_t dim = (size_t)cb_model_embedding_size(self->m);
    float *out = NULL;
    PyObject *buf = float_buffer(n * dim, &out);
    cb_error err;
    cb_status s = CB_OK;
    if (buf) {
        Py_BEGIN_ALLOW_THREADS
        s = cb_embed(self->m, texts, lens, n, &o, out, &err);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(texts);
    PyMem_Free(lens);
    held_free(&h);
    if (!buf) return NULL;
    if (s != CB_OK) {
        Py_DECREF(buf);
        return raise_err(&err);
    }
    return buf;
}

static PyObject *int_list(const int32_t *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *x = PyLong_FromLong((long)v[i]);
        if (!x) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

PyDoc_STRVAR(Model_tokenize_doc,
             "tokenize(pairs, max_length=0) -> list[tuple[list[int], list[int]]]\n\n"
             "Token ids and token type ids of each pair as the model sees them. On a bi-encoder each pair "
             "is (text, \"\").");

static PyObject *Model_tokenize(ModelObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = { "pairs", "max_length", NULL };
    PyObject *seq;
    int max_length = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:tokenize", kwlist, &seq, &max_length)) return NULL;
    if (!loaded(self)) return NULL;
    cb_pair *pairs;
    size_t n;
    held h;
    if (!collect_pairs(seq, &pairs, &n, &h)) return NULL;
    /* Tokens never exceed the resolved max_length, itself at most the
     * model's positions (larger values are refused by cb_tokenize). */
    const int positions = cb_model_max_positions(self->m);
    const int limit = max_length > 0 && max_length < positions ? max_length : positions;
    const size_t cap = limit > 0 ? (size_t)limit : 1;
    int32_t *ids = PyMem_Calloc(cap, sizeof *ids), *types = PyMem_Calloc(cap, sizeof *types);
    PyObject *out = ids && types ? PyList_New((Py_ssize_t)n) : PyErr_NoMemory();
    for (size_t i = 0; out && i < n; i++) {
        size_t k = 0;
        cb_error err;
        cb_status s;
        Py_BEGIN_ALLOW_THREADS
        s = cb_tokenize(self->m, &pairs[i], max_length, ids, types, cap, &k, &err);
        Py_END_ALLOW_THREADS
        if (s != CB_OK) {
            Py_CLEAR(out);
            raise_err(&err);
            break;
        }
        PyObject *a = int_list(ids, k), *b = a ? int_list(types, k) : NULL;
        PyObject *t = b ? PyTuple_Pack(2, a, b) : NULL;
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
    PyMem_Free(ids);
    PyMem_Free(types);
    PyMem_Free(pairs);
    held_free(&h);
    return out;
}

PyDoc_STRVAR(Model_check_max_length_doc,
             "check_max_length(n) -> None\n\n"
             "Raises MaxLengthError (with the library's message) unless the model accepts max_length n.");

static PyObject *Model_check_max_length(ModelObject *self, PyObject *arg)
{
    const long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    const int n = v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : (int)v;
    if (!loaded(self)) return NULL;
    /* The library's own check (cb_tokenize resolves max_length first), on an
     * empty pair: a few special tokens at most. */
    int32_t ids[16];
    size_t k;
    cb_error err;
    const cb_pair empty = { "", 0, "", 0 };
    if (n <= 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "max_length %ld is out of range: it must be a positive number of tokens", v);
        return raise_code(CB_ERR_MAX_LENGTH, msg);
    }
    if (cb_tokenize(self->m, &empty, n, ids, NULL, sizeof ids / sizeof ids[0], &k, &err) != CB_OK)
        return raise_err(&err);
    Py_RETURN_NONE;
}

static PyObject *str_or_none(const char *s)
{
    if (s) return PyUnicode_FromString(s);
    Py_RETURN_NONE;
}

static PyObject *Model_get_architecture(ModelObject *self, void *closure)
{
    (void)closure;
    return loaded(self) ? str_or_none(cb_model_architecture(self->m)) : NULL;
}

static PyObject *Model_get_dtype(ModelObject *self, void *closure)
{
    (void)closure;
    return loaded(self) ? str_or_none(cb_model_dtype(self->m)) : NULL;
}

static PyObject *Model_get_pooling(ModelObject *self, void *closure)
{
    (void)closure;
    return loaded(self) ? str_or_none(cb_model_pooling(self->m)) : NULL;
}

static PyObject *Model_get_int(ModelObject *self, void *closure)
{
    if (!loaded(self)) return NULL;
    int (*get)(const cb_model *) = NULL;
    switch ((intptr_t)closure) {
    case 0: get = cb_model_num_labels; break;
    case 1: get = cb_model_max_length; break;
    case 2: get = cb_model_max_positions; break;
    default: get = cb_model_embedding_size; break;
    }
    return PyLong_FromLong((long)get(self->m));
}

static PyObject *Model_get_labels(ModelObject *self, void *closure)
{
    (void)closure;
    if (!loaded(self)) return NULL;
    const int n = cb_model_num_labels(self->m);
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        PyObject *s = str_or_none(cb_model_label(self->m, i));
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyMethodDef Model_methods[] = {
    { "predict", (PyCFunction)(void (*)(void))Model_predict, METH_VARARGS | METH_KEYWORDS, Model_predict_doc },
    { "embed", (PyCFunction)(void (*)(void))Model_embed, METH_VARARGS | METH_KEYWORDS, Model_embed_doc },
    { "tokenize", (PyCFunction)(void (*)(void))Model_tokenize, METH_VARARGS | METH_KEYWORDS, Model_tokenize_doc },
    { "check_max_length", (PyCFunction)Model_check_max_length, METH_O, Model_check_max_length_doc },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef Model_getset[] = {
    { "architecture", (getter)Model_get_architecture, NULL, "e.g. 'BertForSequenceClassification'", NULL },
    { "dtype", (getter)Model_get_dtype, NULL, "'f32' or 'int8'", NULL },
    { "pooling", (getter)Model_get_pooling, NULL, "a bi-encoder's pooling ('mean', 'cls', ...), else None", NULL },
    { "num_labels", (getter)Model_get_int, NULL, "scores per pair", (void *)(intptr_t)0 },
    { "max_length", (getter)Model_get_int, NULL, "the default max_length (tokens)", (void *)(intptr_t)1 },
    { "max_positions", (getter)Model_get_int, NULL, "the largest accepted max_length", (void *)(intptr_t)2 },
    { "embedding_size", (getter)Model_get_int, NULL, "vector width of a bi-encoder; 0 for a cross-encoder",
      (void *)(intptr_t)3 },
    { "labels", (getter)Model_get_labels, NULL, "id2label names, in label order", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject Model_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "crossbyte._core.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Model(path, num_threads=0): a loaded .cbm file or Hugging Face folder."),
    .tp_methods = Model_methods,
    .tp_getset = Model_getset,
    .tp_init = (initproc)Model_init,
    .tp_new = PyType_GenericNew,
};

/* ---- module functions ----------------------------------------------------------- */

PyDoc_STRVAR(convert_doc, "convert(hf_dir, out, int8) -> (weights_bytes, file_bytes)\n\n"
                          "Writes a .cbm file from a Hugging Face folder (GIL released).");

static PyObject *core_convert(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *src = NULL, *dst = NULL;
    int int8 = 0;
    if (!PyArg_ParseTuple(args, "O&O&p:convert", path_bytes, &src, path_bytes, &dst, &int8)) {
        Py_XDECREF(src);
        return NULL;
    }
    uint64_t sizes[2] = { 0, 0 };
    cb_error err;
    cb_status s;
    Py_BEGIN_ALLOW_THREADS
    s = cb_convert(PyBytes_AS_STRING(src), PyBytes_AS_STRING(dst), int8 ? CB_DTYPE_INT8 : CB_DTYPE_F32, sizes, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(src);
    Py_DECREF(dst);
    if (s != CB_OK) return raise_err(&err);
    return Py_BuildValue("(KK)", (unsigned long long)sizes[0], (unsigned long long)sizes[1]);
}

static PyObject *core_status_string(PyObject *mod, PyObject *arg)
{
    (void)mod;
    const long c = PyLong_AsLong(arg);
    if (c == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(cb_status_string((cb_status)c));
}

static PyObject *core_int8_gemm_kernels(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    return PyUnicode_FromString(cb_int8_gemm_kernels());
}

static PyMethodDef core_methods[] = {
    { "convert", core_convert, METH_VARARGS, convert_doc },
    { "status_string", core_status_string, METH_O, "status_string(code) -> str: the C library's name of a status" },
    { "int8_gemm_kernels", core_int8_gemm_kernels, METH_NOARGS,
      "int8_gemm_kernels() -> str: XNNPACK's int8 GEMM kernel family on this CPU" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "crossbyte._core",
    .m_doc = "The C runtime behind crossbyte (crossbyte.h). Use crossbyte.CrossEncoder.",
    .m_size = -1,
    .m_methods = core_methods,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
    if (PyType_Ready(&Model_Type) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    if (make_errors(m) < 0 || PyModule_AddObjectRef(m, "Model", (PyObject *)&Model_Type) < 0 ||
        PyModule_AddStringConstant(m, "VERSION", CROSSBYTE_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
