/* Bulk infix parsing for the population engine, in C: one pass per text, no allocation per token.
 *
 * Why C: a population of thousands of fresh texts is parsed per generation; the numpy path
 * (text.py) costs ~50 us per 100-token text, Operon's C++ parser ~15 us. This file is the same
 * language subset as text.py's numpy path (and lark's grammar/exprc.lark stays the reference):
 * numbers, names, $parameters, + - * / ** ^, unary signs, calls, parentheses. Anything else,
 * and anything malformed, rejects the text, which then goes through exprc.parse. It never
 * reads or writes outside the buffers it is given (every index is checked against its bound).
 *
 * Loaded with ctypes; the Python module init below only makes it importable as an extension.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* record kinds written to rec_kind (text.py maps them to opcodes) */
enum { K_NUM = 0, K_NAME = 1, K_PNAME = 2, K_FUNC = 3, K_ADD = 4, K_SUB = 5, K_MUL = 6, K_DIV = 7,
       K_POW = 8, K_NEG = 9 };
/* operator-stack entries */
enum { S_ADD = 0, S_SUB, S_MUL, S_DIV, S_POW, S_NEG, S_POS, S_LP, S_CALL };
static const int PREC[] = {2, 2, 3, 3, 5, 4, 4, 0, 0};
static const int KIND_OF[] = {K_ADD, K_SUB, K_MUL, K_DIV, K_POW, K_NEG, -1, -1, -1};
/* flags */
#define F_EXACT 1   /* number: convert from the exact decimal (long, not normal, or unparsed) */

typedef struct { int32_t rec; int32_t size; int8_t is_const; int8_t is_num_leaf; } Operand;
typedef struct { int8_t op; int32_t name; int32_t commas; int64_t operands_before; } Frame;

typedef struct {
    const uint8_t *s; int64_t n;
    /* name table: open addressing over spellings */
    int32_t *slot; int64_t cap; int32_t *name_start; int32_t *name_len; int64_t nnames; int64_t name_max;
} Names;

static inline int is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline int is_word(uint8_t c) { return is_alpha(c) || is_digit(c) || c == '.'; }
static inline int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

static int32_t intern(Names *t, int64_t start, int64_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < len; i++) h = (h ^ t->s[start + i]) * 1099511628211ULL;
    int64_t mask = t->cap - 1, j = (int64_t)(h & (uint64_t)mask);
    for (;;) {
        int32_t id = t->slot[j];
        if (id < 0) {
            if (t->nnames >= t->name_max) return -1;
            id = (int32_t)t->nnames++;
            t->slot[j] = id;
            t->name_start[id] = (int32_t)start;
            t->name_len[id] = (int32_t)len;
            return id;
        }
        if (t->name_len[id] == len && memcmp(t->s + t->name_start[id], t->s + start, (size_t)len) == 0) return id;
        j = (j + 1) & mask;
    }
}

/* Parse texts s[bounds[i] : bounds[i + 1]] (bounds has ntext + 1 entries). Record arrays hold
 * at least as many entries as there are bytes in s. Per text: ok (1 accepted), records written,
 * given (nodes before folding). Returns the number of distinct names, or -1 if out of space. */
int64_t exprc_parse_texts(const uint8_t *s, int64_t n, const int64_t *bounds, int64_t ntext, int32_t want32,
                          int8_t *rec_kind, int32_t *rec_name, int32_t *rec_nargs, double *rec_value,
                          int32_t *rec_size, int8_t *rec_flags, int64_t rec_cap,
                          int8_t *text_ok, int64_t *text_records, int64_t *text_given,
                          int32_t *name_start, int32_t *name_len, int64_t name_max) {
    int64_t maxlen = 1;
    for (int64_t i = 0; i < ntext; i++) {
        if (bounds[i] < 0 || bounds[i + 1] < bounds[i] || bounds[i + 1] > n) return -1;
        if (bounds[i + 1] - bounds[i] > maxlen) maxlen = bounds[i + 1] - bounds[i];
    }
    Names names = {s, n, NULL, 16, name_start, name_len, 0, name_max};
    while (names.cap < 2 * (name_max + 1)) names.cap <<= 1;
    names.slot = (int32_t *)malloc(sizeof(int32_t) * (size_t)names.cap);
    int8_t *ops = (int8_t *)malloc((size_t)maxlen + 1);
    Frame *frames = (Frame *)malloc(sizeof(Frame) * (size_t)(maxlen + 1));
    Operand *vals = (Operand *)malloc(sizeof(Operand) * (size_t)(maxlen + 1));
    if (!names.slot || !ops || !frames || !vals) {
        free(names.slot); free(ops); free(frames); free(vals);
        return -1;
    }
    for (int64_t j = 0; j < names.cap; j++) names.slot[j] = -1;
    char numbuf[64];
    int64_t r = 0;   /* records written so far */

    for (int64_t t = 0; t < ntext; t++) {
        int64_t i = bounds[t], end = bounds[t + 1], r0 = r, given = 0;
        int64_t nops = 0, nvals = 0, nframes = 0;
        int expect = 1;          /* 1: an operand must come next; 0: an operator, ')' , ',' or the end */
        int after_open = 0;      /* 1: just after a call's '(' ; 2: just after a call's ',' */
        int dollar = 0, ok = 1;

#define REJECT { ok = 0; break; }
#define EMIT_OP(kind_, arity_, nargs_) {                                                     \
            int64_t ar = (arity_);                                                           \
            if (nvals < ar || r >= rec_cap) REJECT                                           \
            int32_t sz = 1; int8_t all_const = 1;                                            \
            for (int64_t q = nvals - ar; q < nvals; q++) { sz += vals[q].size; all_const &= vals[q].is_const; } \
            given++;                                                                         \
            if (all_const) {                                                                 \
                /* -number folds exactly; any other constant expression: the exact path */  \
                if ((kind_) == K_NEG && ar == 1 && vals[nvals - 1].is_num_leaf &&             \
                    !(rec_flags[vals[nvals - 1].rec] & F_EXACT) &&                            \
                    isfinite(rec_value[vals[nvals - 1].rec]) && rec_value[vals[nvals - 1].rec] != 0) { \
                    rec_value[vals[nvals - 1].rec] = -rec_value[vals[nvals - 1].rec];          \
                    vals[nvals - 1].is_num_leaf = 0;                                          \
                } else REJECT                                                                \
            } else {                                                                         \
                rec_kind[r] = (int8_t)(kind_); rec_name[r] = -1; rec_nargs[r] = (int32_t)(nargs_); \
                rec_value[r] = 0; rec_size[r] = sz; rec_flags[r] = 0;                        \
                nvals -= ar;                                                                 \
                vals[nvals].rec = (int32_t)r; vals[nvals].size = sz; vals[nvals].is_const = 0; \
                vals[nvals].is_num_leaf = 0; nvals++; r++;                                   \
            }                                                                                \
        }
        /* pop operators above the innermost frame while they bind at least as tight as prec */
#define POP_WHILE(prec_, right_) {                                                           \
            while (nops > 0 && ops[nops - 1] < S_LP &&                                      \
                   (PREC[ops[nops - 1]] > (prec_) || (PREC[ops[nops - 1]] == (prec_) && !(right_)))) { \
                int8_t o = ops[--nops];                                                      \
                if (o == S_POS) continue;                                                    \
                EMIT_OP(KIND_OF[o], (o == S_NEG ? 1 : 2), 0)                                 \
            }                                                                                \
            if (!ok) break;                                                                  \
        }

        for (;;) {
            while (i < end && is_space(s[i])) i++;
            if (i >= end) {                     /* the end: close every operator, nothing left open */
                if (expect || dollar) REJECT
                POP_WHILE(0, 0)
                if (nops != 0 || nvals != 1) REJECT
                break;
            }
            uint8_t c = s[i];
            if (dollar && !is_alpha(c)) REJECT
            if (expect) {
                if (is_digit(c) || c == '.') {
                    int64_t a = i;
                    int digits = 0;
                    while (i < end && is_digit(s[i])) { i++; digits++; }
                    if (i < end && s[i] == '.') { i++; while (i < end && is_digit(s[i])) { i++; digits++; } }
                    if (digits == 0) REJECT
                    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
                        int64_t k = i + 1;
                        if (k < end && (s[k] == '+' || s[k] == '-')) k++;
                        if (k < end && is_digit(s[k])) { i = k; while (i < end && is_digit(s[i])) i++; }
                    }
                    if (i < end && is_word(s[i])) REJECT
                    if (r >= rec_cap) REJECT
                    int64_t len = i - a;
                    int8_t flags = 0;
                    double v = 0;
                    if (len >= (int64_t)sizeof(numbuf)) flags = F_EXACT;
                    else {
                        char *stop;
                        memcpy(numbuf, s + a, (size_t)len);
                        numbuf[len] = 0;
                        v = want32 ? (double)strtof(numbuf, &stop) : strtod(numbuf, &stop);
                        double mag = fabs(v);
                        if (stop != numbuf + len || !isfinite(v) || mag < (want32 ? 1.1754943508222875e-38 : 2.2250738585072014e-308))
                            flags = F_EXACT;      /* not parsed whole, zero, subnormal or out of range */
                    }
                    rec_kind[r] = K_NUM; rec_name[r] = (int32_t)a; rec_nargs[r] = (int32_t)len;
                    rec_value[r] = v; rec_size[r] = 1; rec_flags[r] = flags;
                    vals[nvals].rec = (int32_t)r; vals[nvals].size = 1; vals[nvals].is_const = 1;
                    vals[nvals].is_num_leaf = 1; nvals++; r++; given++;
                    expect = 0; after_open = 0;
                    continue;
                }
                if (is_alpha(c)) {
                    int64_t a = i;
                    for (;;) {
                        while (i < end && (is_alpha(s[i]) || is_digit(s[i]))) i++;
                        if (i + 1 < end && s[i] == '.' && is_alpha(s[i + 1])) { i++; continue; }
                        break;
                    }
                    if (i < end && s[i] == '.') REJECT
                    int32_t id = intern(&names, a, i - a);
                    if (id < 0 || r >= rec_cap) REJECT
                    int64_t k = i;
                    while (k < end && is_space(s[k])) k++;
                    if (!dollar && k < end && s[k] == '(') {      /* a call */
                        if (nframes > maxlen) REJECT
                        frames[nframes].op = S_CALL; frames[nframes].name = id; frames[nframes].commas = 0;
                        frames[nframes].operands_before = nvals;
                        nframes++;
                        ops[nops++] = S_CALL;
                        i = k + 1;
                        expect = 1; after_open = 1;
                        continue;
                    }
                    rec_kind[r] = dollar ? K_PNAME : K_NAME; rec_name[r] = id; rec_nargs[r] = 0;
                    rec_value[r] = 0; rec_size[r] = 1; rec_flags[r] = 0;
                    vals[nvals].rec = (int32_t)r; vals[nvals].size = 1; vals[nvals].is_const = 0;
                    vals[nvals].is_num_leaf = 0; nvals++; r++; given++;
                    dollar = 0; expect = 0; after_open = 0;
                    continue;
                }
                if (c == '$') { dollar = 1; i++; after_open = 0; continue; }
                if (c == '(') {
                    frames[nframes].op = S_LP; frames[nframes].name = -1; frames[nframes].commas = 0;
                    frames[nframes].operands_before = nvals;
                    nframes++;
                    ops[nops++] = S_LP; i++; after_open = 0;
                    continue;
                }
                if (c == '-' || c == '+') { ops[nops++] = c == '-' ? S_NEG : S_POS; i++; after_open = 0; continue; }
                if (c == ')' && after_open == 2) {      /* a trailing comma: f(a, b,) */
                    expect = 0;
                    frames[nframes - 1].commas -= 1;     /* the comma did not start an argument */
                    /* fall through to the ')' handling below */
                } else REJECT
            }
            /* an operand ended: operators, ')' , ',' */
            if (c == '+' || c == '-' || c == '/' || c == '^' || c == '*') {
                int8_t op;
                if (c == '*' && i + 1 < end && s[i + 1] == '*') {
                    if (i + 2 < end && s[i + 2] == '*') REJECT      /* '***' is ambiguous */
                    op = S_POW; i += 2;
                } else {
                    op = c == '+' ? S_ADD : c == '-' ? S_SUB : c == '*' ? S_MUL : c == '/' ? S_DIV : S_POW;
                    i++;
                }
                POP_WHILE(PREC[op], op == S_POW)
                ops[nops++] = op;
                expect = 1;
                continue;
            }
            if (c == ')' || c == ',') {
                POP_WHILE(1, 0)
                if (nframes == 0 || nops == 0 || ops[nops - 1] < S_LP) REJECT
                Frame *f = &frames[nframes - 1];
                if (c == ',') {
                    if (f->op != S_CALL) REJECT
                    f->commas++;
                    i++;
                    expect = 1; after_open = 2;
                    continue;
                }
                i++;
                nops--;
                nframes--;
                if (f->op == S_CALL) {
                    int64_t nargs = nvals - f->operands_before;
                    if (nargs != (int64_t)f->commas + 1 || nargs < 1 || nargs > 3) REJECT
                    EMIT_OP(K_FUNC, nargs, nargs)
                    rec_name[r - 1] = f->name;
                } else if (f->commas) REJECT
                expect = 0; after_open = 0;
                continue;
            }
            REJECT
        }
        if (!ok) { r = r0; given = 0; }
        text_ok[t] = (int8_t)ok;
        text_records[t] = r - r0;
        text_given[t] = given;
    }
    free(names.slot); free(ops); free(frames); free(vals);
    return names.nnames;
}

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cparse", "exprc's bulk infix parser (used through ctypes)",
                                    -1, NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cparse(void) { return PyModule_Create(&module); }
