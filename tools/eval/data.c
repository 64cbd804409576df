/* data.c: readers for the candidates, qrels and pairs files of
 * `crossbyte eval` (formats in data.h). Every string is copied out with its
 * exact length; errors name the file and the line. */
#include "data.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_value.h"

static int fail(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return 0;
}

/* The whole file, NUL-terminated, a UTF-8 byte-order mark skipped. */
static char *slurp(const char *path, size_t *len, char *why, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fail(why, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = 0, size = 1 << 16;
    char *buf = malloc(size);
    while (buf) {
        n += fread(buf + n, 1, size - n - 1, fp);
        if (n < size - 1) break;
        char *p = realloc(buf, size * 2);
        if (!p) free(buf);
        buf = p, size *= 2;
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf || err) {
        free(buf);
        fail(why, cap, "%s: %s", path, buf ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    if (n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) memmove(buf, buf + 3, (n -= 3) + 1);
    *len = n;
    return buf;
}

/* Next line of buf (in place: the newline becomes NUL, a CR before it too). */
static char *next_line(char **cursor)
{
    char *s = *cursor;
    if (!s || !*s) return NULL;
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0', *cursor = nl + 1;
    else *cursor = s + strlen(s);
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r') s[n - 1] = '\0';
    return s;
}

static char *copy(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n), d[n] = '\0';
    return d;
}

/* Splits a line at tabs in place; returns the number of fields (<= max). */
static int split_tabs(char *s, char **f, int max)
{
    int n = 0;
    while (n < max) {
        f[n++] = s;
        char *t = strchr(s, '\t');
        if (!t) break;
        *t = '\0', s = t + 1;
    }
    return n;
}

static eval_item *push(eval_items *it)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 256;
        eval_item *v = realloc(it->v, cap * sizeof *v);
        if (!v) return NULL;
        it->v = v, it->cap = cap;
    }
    eval_item *e = &it->v[it->n++];
    memset(e, 0, sizeof *e);
    return e;
}

void eval_items_free(eval_items *it)
{
    for (size_t i = 0; i < it->n; i++) {
        eval_item *e = &it->v[i];
        free(e->qid), free(e->pid), free(e->a), free(e->b), free(e->gold);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    if (end == s || *end || errno) return 0;
    *out = v;
    return 1;
}

/* ---- candidates ------------------------------------------------------------- */

/* One text field of a JSON object: a string (its bytes, NULs kept), or a
 * number as it was written (ids are numbers in some files). */
static char *json_text(const jv *o, const char *k1, const char *k2, size_t *len)
{
    const jv *v = jget(o, k1);
    if (!v && k2) v = jget(o, k2);
    if (!v || (v->type != J_STR && v->type != J_NUM)) return NULL;
    *len = v->str_len;
    return copy(v->str, v->str_len);
}

static int read_jsonl(const char *path, char *buf, int pairs, eval_items *out, char *why, size_t cap)
{
    char *cur = buf, *line;
    long lineno = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (!*line) continue;
        jv o;
        char bad[128];
        if (!jv_parse(line, strlen(line), &o, bad, sizeof bad))
            return fail(why, cap, "%s line %ld: not JSON: %s", path, lineno, bad);
        if (o.type != J_OBJ) {
            jfree(&o);
            return fail(why, cap, "%s line %ld: not a JSON object", path, lineno);
        }
        eval_item *e = push(out);
        size_t l;
        int ok = e != NULL;
        if (ok && !pairs) {
            e->qid = json_text(&o, "qid", NULL, &l);
            e->pid = json_text(&o, "pid", "docid", &l);
            if (!e->qid || !e->pid) ok = 0;
        }
        if (ok) {
            e->a = json_text(&o, pairs ? "a" : "query", pairs ? "sentence1" : "a", &e->a_len);
            e->b = json_text(&o, pairs ? "b" : "passage", pairs ? "sentence2" : "b", &e->b_len);
            const jv *s = jget(&o, "score");
            if (s && s->type == J_NUM) e->score = s->num, e->has_score = 1;
            else if (s && s->type != J_NULL) ok = -1;
            if (pairs) e->gold = json_text(&o, "label", "score", &l);
        }
        jfree(&o);
        if (ok == -1) return fail(why, cap, "%s line %ld: \"score\" is not a number", path, lineno);
        if (!ok || (pairs && (!e->a || !e->b || !e->gold)))
            return fail(why, cap, "%s line %ld: missing %s", path, lineno,
                        pairs ? "\"a\", \"b\" or the gold \"score\"/\"label\""
                              : "\"qid\" or \"pid\" (or out of memory)");
        if (!e->a || !e->b) out->has_text = 0;
    }
    return 1;
}

static int column_of(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name)) return i;
    return -1;
}

#define MAX_FIELDS 64

static int read_tsv_candidates(const char *path, char *buf, const char *score_column, eval_items *out, char *why,
                               size_t cap)
{
    char *cur = buf, *line = next_line(&cur), *f[MAX_FIELDS];
    long lineno = 1;
    int n = split_tabs(line, f, MAX_FIELDS);
    int col[5] = { 0, 1, 2, 3, n > 4 ? 4 : -1 };   /* qid pid query passage score */
    int header = column_of(f, n, "qid") >= 0;
    if (header) {
        static const char *names[] = { "qid", "pid", "query", "passage" };
        for (int i = 0; i < 4; i++)
            if ((col[i] = column_of(f, n, names[i])) < 0 && !(i == 3 && (col[i] = column_of(f, n, "text")) >= 0))
                return fail(why, cap, "%s: the header has no \"%s\" column", path, names[i]);
        col[4] = score_column ? column_of(f, n, score_column) : column_of(f, n, "score");
        if (score_column && col[4] < 0) return fail(why, cap, "%s: the header has no \"%s\" column", path, score_column);
        line = next_line(&cur), lineno++;
    } else if (score_column) {
        return fail(why, cap, "%s: --score-column needs a header line naming the columns", path);
    }
    int need = col[0];
    for (int i = 1; i < 5; i++) need = col[i] > need ? col[i] : need;
    for (; line; line = next_line(&cur), lineno++) {
        if (!*line) continue;
        n = split_tabs(line, f, MAX_FIELDS);
        if (n <= (col[4] >= 0 ? need : col[3]))
            return fail(why, cap, "%s line %ld: %d columns, expected %d (qid, pid, query, passage%s)", path, lineno, n,
                        (col[4] >= 0 ? need : col[3]) + 1, col[4] >= 0 ? ", score" : "");
        eval_item *e = push(out);
        if (!e) return fail(why, cap, "%s: out of memory", path);
        e->qid = copy(f[col[0]], strlen(f[col[0]]));
        e->pid = copy(f[col[1]], strlen(f[col[1]]));
        e->a = copy(f[col[2]], e->a_len = strlen(f[col[2]]));
        e->b = copy(f[col[3]], e->b_len = strlen(f[col[3]]));
        if (!e->qid || !e->pid || !e->a || !e->b) return fail(why, cap, "%s: out of memory", path);
        if (col[4] >= 0) {
            if (!parse_number(f[col[4]], &e->score))
                return fail(why, cap, "%s line %ld: score '%s' is not a number", path, lineno, f[col[4]]);
            e->has_score = 1;
        }
    }
    return 1;
}

/* "qid Q0 docno rank score tag": whitespace-separated, six fields (only the
 * text up to the first newline is looked at). */
static int is_trec_run_line(const char *line)
{
    char first[1024], q0[8], rest[2];
    size_t n = strcspn(line, "\n");
    if (n >= sizeof first) return 0;
    memcpy(first, line, n), first[n] = '\0';
    return sscanf(first, "%*s %7s %*s %*d %*f %*s %1s", q0, rest) == 1 && !strcmp(q0, "Q0");
}

static int read_trec_run(const char *path, char *buf, eval_items *out, char *why, size_t cap)
{
    char *cur = buf, *line;
    long lineno = 0;
    out->has_text = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (!*line) continue;
        char qid[256], pid[256], score[64];
        if (!is_trec_run_line(line) || sscanf(line, "%255s %*s %255s %*d %63s", qid, pid, score) != 3)
            return fail(why, cap, "%s line %ld: not a TREC run line (qid Q0 docno rank score tag)", path, lineno);
        eval_item *e = push(out);
        if (!e || !(e->qid = copy(qid, strlen(qid))) || !(e->pid = copy(pid, strlen(pid))))
            return fail(why, cap, "%s: out of memory", path);
        if (!parse_number(score, &e->score))
            return fail(why, cap, "%s line %ld: score '%s' is not a number", path, lineno, score);
        e->has_score = 1;
    }
    return 1;
}

/* Starts a reader: out emptied, the file read; NULL (why set) on failure.
 * *first is the first byte that is not white space. */
static char *begin(const char *path, eval_items *out, const char **first, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    out->has_text = 1;
    size_t len;
    char *buf = slurp(path, &len, why, why_cap);
    if (buf) *first = buf + strspn(buf, " \t\r\n");
    return buf;
}

int eval_read_candidates(const char *path, const char *score_column, eval_items *out, char *why, size_t why_cap)
{
    const char *s;
    char *buf = begin(path, out, &s, why, why_cap);
    if (!buf) return 0;
    int ok;
    if (!*s) ok = fail(why, why_cap, "%s: no candidates", path);
    else if (*s == '{') ok = read_jsonl(path, buf, 0, out, why, why_cap);
    else if (is_trec_run_line(s)) ok = read_trec_run(path, buf, out, why, why_cap);
    else ok = read_tsv_candidates(path, buf, score_column, out, why, why_cap);
    free(buf);
    if (ok && out->n == 0) ok = fail(why, why_cap, "%s: no candidates", path);
    if (!ok) eval_items_free(out);
    return ok;
}

/* ---- pairs ------------------------------------------------------------------- */

int eval_read_pairs(const char *path, const int columns[3], int skip_header, eval_items *out, char *why,
                    size_t why_cap)
{
    const char *s;
    char *buf = begin(path, out, &s, why, why_cap);
    if (!buf) return 0;
    int ok = 1;
    if (*s == '{' && !columns) {
        ok = read_jsonl(path, buf, 1, out, why, why_cap);
    } else {
        static const int dflt[3] = { 1, 2, 3 };
        const int *c = columns ? columns : dflt;
        int need = c[0] > c[1] ? c[0] : c[1];
        need = c[2] > need ? c[2] : need;
        char *cur = buf, *line, *f[MAX_FIELDS];
        long lineno = 0;
        while (ok && (line = next_line(&cur))) {
            if (lineno++ == 0 && skip_header) continue;
            if (!*line) continue;
            int n = split_tabs(line, f, MAX_FIELDS);
            if (n < need) {
                ok = fail(why, why_cap, "%s line %ld: %d tab-separated columns, --columns needs %d", path, lineno,
                          n, need);
                break;
            }
            eval_item *e = push(out);
            if (!e || !(e->a = copy(f[c[0] - 1], e->a_len = strlen(f[c[0] - 1]))) ||
                !(e->b = copy(f[c[1] - 1], e->b_len = strlen(f[c[1] - 1]))) ||
                !(e->gold = copy(f[c[2] - 1], strlen(f[c[2] - 1]))))
                ok = fail(why, why_cap, "%s: out of memory", path);
        }
    }
    free(buf);
    if (ok && out->n == 0) ok = fail(why, why_cap, "%s: no pairs", path);
    if (!ok) eval_items_free(out);
    return ok;
}

/* ---- qrels ------------------------------------------------------------------- */

static int by_qid_pid(const void *pa, const void *pb)
{
    const qrel *a = pa, *b = pb;
    int c = strcmp(a->qid, b->qid);
    return c ? c : strcmp(a->pid, b->pid);
}

void eval_qrels_free(qrels *q)
{
    for (size_t i = 0; i < q->n; i++) free(q->v[i].qid), free(q->v[i].pid);
    free(q->v);
    memset(q, 0, sizeof *q);
}

int eval_read_qrels(const char *path, qrels *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    size_t len, cap = 0;
    char *buf = slurp(path, &len, why, why_cap);
    if (!buf) return 0;
    char *cur = buf, *line;
    long lineno = 0;
    int ok = 1;
    while (ok && (line = next_line(&cur))) {
        lineno++;
        char qid[256], pid[256], extra[2];
        int rel;
        if (!line[strspn(line, " \t")]) continue;
        if (sscanf(line, "%255s %*s %255s %d %1s", qid, pid, &rel, extra) != 3) {
            ok = fail(why, why_cap, "%s line %ld: not a qrels line (qid iter docno grade)", path, lineno);
            break;
        }
        if (out->n == cap) {
            cap = cap ? 2 * cap : 1024;
            qrel *v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                ok = fail(why, why_cap, "%s: out of memory", path);
                break;
            }
            out->v = v;
        }
        qrel *r = &out->v[out->n];
        r->qid = copy(qid, strlen(qid)), r->pid = copy(pid, strlen(pid)), r->rel = rel;
        out->n++;
        if (!r->qid || !r->pid) ok = fail(why, why_cap, "%s: out of memory", path);
    }
    free(buf);
    if (ok && out->n == 0) ok = fail(why, why_cap, "%s: no judgments", path);
    if (!ok) {
        eval_qrels_free(out);
        return 0;
    }
    qsort(out->v, out->n, sizeof *out->v, by_qid_pid);
    return 1;
}

int eval_qrel_grade(const qrels *q, const char *qid, const char *pid, int *judged)
{
    qrel key = { (char *)qid, (char *)pid, 0 };
    const qrel *r = bsearch(&key, q->v, q->n, sizeof *q->v, by_qid_pid);
    if (judged) *judged = r != NULL;
    return r ? r->rel : 0;
}

size_t eval_qrels_of(const qrels *q, const char *qid, const qrel **first)
{
    size_t lo = 0, hi = q->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(q->v[mid].qid, qid) < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t end = lo;
    while (end < q->n && !strcmp(q->v[end].qid, qid)) end++;
    *first = q->v + lo;
    return end - lo;
}
