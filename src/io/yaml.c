/* yaml.c: see yaml.h. A line-based recursive-descent parser: each call parses
 * one block (a mapping or a sequence) whose lines share one indentation. */
#include "io/yaml.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct yline {
    int indent, lineno;
    char *text; /* without indentation and trailing spaces/comments */
} yline;

#define YAML_MAX_ANCHORS 64

typedef struct yparser {
    yline *lines;
    int n, pos;
    char *anchor_names[YAML_MAX_ANCHORS]; /* "&id001" anchors and their values, for "*id001" */
    cJSON *anchor_values[YAML_MAX_ANCHORS];
    int n_anchors;
    const char *what;
    vct_error *err;
} yparser;

static vct_status perr(yparser *p, int lineno, const char *msg) {
    return vct_fail(p->err, VCT_STATUS_FORMAT, "%s: line %d: %s", p->what, lineno, msg);
}

/* strip a " #comment" outside quotes and trailing spaces */
static void strip_line(char *s) {
    char q = 0;
    for (char *c = s; *c; c++) {
        if (q) {
            if (*c == q) q = 0;
        } else if (*c == '\'' || *c == '"') {
            q = *c;
        } else if (*c == '#' && (c == s || c[-1] == ' ')) {
            *c = '\0';
            break;
        }
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
}

static cJSON *scalar(yparser *p, const char *s, int lineno, vct_status *st);

static cJSON *flow_seq(yparser *p, const char *s, int lineno, vct_status *st) {
    /* "[a, b, c]" with plain or quoted scalars, no nesting */
    cJSON *arr = cJSON_CreateArray();
    size_t n = strlen(s);
    if (n < 2 || s[n - 1] != ']') {
        *st = perr(p, lineno, "unterminated flow sequence");
        cJSON_Delete(arr);
        return NULL;
    }
    char *body = malloc(n);
    memcpy(body, s + 1, n - 2);
    body[n - 2] = '\0';
    char *c = body;
    while (*c) {
        while (*c == ' ') c++;
        if (!*c) break;
        char *start = c;
        char q = (*c == '\'' || *c == '"') ? *c : 0;
        if (q) {
            c++;
            while (*c && *c != q) c++;
            if (*c) c++;
        }
        while (*c && *c != ',') c++;
        char save = *c;
        *c = '\0';
        char *e = start + strlen(start);
        while (e > start && e[-1] == ' ') *--e = '\0';
        if (*start == '[' || *start == '{') {
            *st = perr(p, lineno, "nested flow collections are not supported");
            free(body);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON *v = scalar(p, start, lineno, st);
        if (!v) {
            free(body);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, v);
        if (!save) break;
        c++;
    }
    free(body);
    return arr;
}

static cJSON *scalar(yparser *p, const char *s, int lineno, vct_status *st) {
    size_t n = strlen(s);
    if (s[0] == '[') return flow_seq(p, s, lineno, st);
    if (strcmp(s, "{}") == 0) return cJSON_CreateObject();
    if (s[0] == '{') {
        *st = perr(p, lineno, "flow mappings are not supported");
        return NULL;
    }
    if (s[0] == '\'' || s[0] == '"') {
        if (n < 2 || s[n - 1] != s[0]) {
            *st = perr(p, lineno, "unterminated quoted scalar");
            return NULL;
        }
        char *v = malloc(n);
        size_t k = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            if (s[0] == '\'' && s[i] == '\'' && s[i + 1] == '\'') i++; /* '' escapes ' */
            v[k++] = s[i];
        }
        v[k] = '\0';
        cJSON *r = cJSON_CreateString(v);
        free(v);
        return r;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0) return cJSON_CreateTrue();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0) return cJSON_CreateFalse();
    if (strcmp(s, "null") == 0 || strcmp(s, "~") == 0) return cJSON_CreateNull();
    char *end;
    double d = strtod(s, &end);
    if (n && *end == '\0' && !isalpha((unsigned char)s[0])) return cJSON_CreateNumber(d);
    return cJSON_CreateString(s);
}

static cJSON *parse_block(yparser *p, int indent, vct_status *st);

/* the value after "key:" or "- ": inline scalar, or a nested block on the next lines */
static cJSON *parse_value_plain(yparser *p, const char *inl, int parent_indent, int lineno, vct_status *st);

/* handles "&anchor value" and "*alias" (PyYAML writes them for shared lists) */
static cJSON *parse_value(yparser *p, const char *inl, int parent_indent, int lineno, vct_status *st) {
    if (inl[0] == '*') {
        for (int i = 0; i < p->n_anchors; i++)
            if (strcmp(p->anchor_names[i], inl + 1) == 0) return cJSON_Duplicate(p->anchor_values[i], 1);
        *st = perr(p, lineno, "unknown alias");
        return NULL;
    }
    if (inl[0] != '&') return parse_value_plain(p, inl, parent_indent, lineno, st);
    if (p->n_anchors == YAML_MAX_ANCHORS) {
        *st = perr(p, lineno, "too many anchors");
        return NULL;
    }
    const char *sp = strchr(inl, ' ');
    size_t nl = sp ? (size_t)(sp - inl - 1) : strlen(inl + 1);
    const char *rest = sp ? sp + 1 : "";
    while (*rest == ' ') rest++;
    cJSON *v = parse_value_plain(p, rest, parent_indent, lineno, st);
    if (!v) return NULL;
    char *name = malloc(nl + 1);
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!name || !copy) {
        free(name);
        cJSON_Delete(copy);
        cJSON_Delete(v);
        *st = vct_fail(p->err, VCT_STATUS_NO_MEMORY, "%s: out of memory", p->what);
        return NULL;
    }
    memcpy(name, inl + 1, nl);
    name[nl] = '\0';
    p->anchor_names[p->n_anchors] = name;
    p->anchor_values[p->n_anchors++] = copy;
    return v;
}

static cJSON *parse_value_plain(yparser *p, const char *inl, int parent_indent, int lineno, vct_status *st) {
    if (*inl) return scalar(p, inl, lineno, st);
    if (p->pos < p->n && p->lines[p->pos].indent > parent_indent)
        return parse_block(p, p->lines[p->pos].indent, st);
    /* a sequence may sit at the same indentation as its key */
    if (p->pos < p->n && p->lines[p->pos].indent == parent_indent && p->lines[p->pos].text[0] == '-' &&
        (p->lines[p->pos].text[1] == ' ' || p->lines[p->pos].text[1] == '\0'))
        return parse_block(p, parent_indent, st);
    return cJSON_CreateNull();
}

static cJSON *parse_block(yparser *p, int indent, vct_status *st) {
    yline *first = &p->lines[p->pos];
    int is_seq = first->text[0] == '-' && (first->text[1] == ' ' || first->text[1] == '\0');
    cJSON *node = is_seq ? cJSON_CreateArray() : cJSON_CreateObject();
    while (p->pos < p->n && p->lines[p->pos].indent == indent) {
        yline *l = &p->lines[p->pos];
        int seq_line = l->text[0] == '-' && (l->text[1] == ' ' || l->text[1] == '\0');
        if (is_seq && !seq_line) break; /* a sequence indented like its key ends here */
        if (seq_line != is_seq) {
            *st = perr(p, l->lineno, "mixed sequence and mapping entries");
            goto fail;
        }
        if (is_seq) {
            /* "- x", "- - x" (nested sequence: re-parse the rest as a deeper line) */
            char *rest = l->text + 1;
            while (*rest == ' ') rest++;
            if (rest[0] == '-' && (rest[1] == ' ' || rest[1] == '\0')) {
                l->indent = indent + (int)(rest - l->text);
                memmove(l->text, rest, strlen(rest) + 1);
                cJSON *v = parse_block(p, l->indent, st);
                if (!v) goto fail;
                cJSON_AddItemToArray(node, v);
                continue;
            }
            if (strchr(rest, ':') && rest[0] != '\'' && rest[0] != '"' && rest[0] != '[') {
                *st = perr(p, l->lineno, "mappings inside sequences are not supported");
                goto fail;
            }
            p->pos++;
            cJSON *v = parse_value(p, rest, indent, l->lineno, st);
            if (!v) goto fail;
            cJSON_AddItemToArray(node, v);
        } else {
            char *colon = strstr(l->text, ": ");
            if (!colon) {
                size_t tl = strlen(l->text);
                if (tl && l->text[tl - 1] == ':') colon = l->text + tl - 1;
            }
            if (!colon) {
                *st = perr(p, l->lineno, "expected 'key: value'");
                goto fail;
            }
            *colon = '\0';
            char *val = colon + 1;
            while (*val == ' ') val++;
            p->pos++;
            cJSON *v = parse_value(p, val, indent, l->lineno, st);
            if (!v) goto fail;
            cJSON_AddItemToObject(node, l->text, v);
        }
    }
    if (p->pos < p->n && p->lines[p->pos].indent > indent) {
        *st = perr(p, p->lines[p->pos].lineno, "unexpected indentation");
        goto fail;
    }
    return node;
fail:
    cJSON_Delete(node);
    return NULL;
}

vct_status yaml_parse(const char *text, const char *what, cJSON **out, vct_error *err) {
    *out = NULL;
    char *buf = strdup(text);
    if (!buf) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", what);
    yparser p = {0};
    p.what = what;
    p.err = err;
    int cap = 64;
    p.lines = malloc((size_t)cap * sizeof *p.lines);
    vct_status st = VCT_STATUS_OK;
    int lineno = 0;
    for (char *line = buf, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        if (strchr(line, '\t')) {
            st = perr(&p, lineno, "tab characters are not allowed in YAML indentation");
            goto done;
        }
        strip_line(line);
        int ind = 0;
        while (line[ind] == ' ') ind++;
        if (line[ind] == '\0' || strcmp(line + ind, "---") == 0) continue;
        if (p.n == cap) {
            cap *= 2;
            p.lines = realloc(p.lines, (size_t)cap * sizeof *p.lines);
        }
        p.lines[p.n++] = (yline){ind, lineno, line + ind};
    }
    if (p.n == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: empty YAML document", what);
        goto done;
    }
    cJSON *root = parse_block(&p, p.lines[0].indent, &st);
    if (root && p.pos < p.n) {
        st = perr(&p, p.lines[p.pos].lineno, "unexpected indentation");
        cJSON_Delete(root);
        root = NULL;
    }
    *out = root;
done:
    for (int i = 0; i < p.n_anchors; i++) {
        free(p.anchor_names[i]);
        cJSON_Delete(p.anchor_values[i]);
    }
    free(p.lines);
    free(buf);
    return st;
}

vct_status yaml_read(const char *path, cJSON **out, vct_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (64u << 20)) {
                free(text);
                fclose(f);
                return vct_fail(err, VCT_STATUS_FORMAT, "%s: larger than 64 MiB: not a config", path);
            }
            text = realloc(text, cap);
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: contains NUL bytes: not YAML", path);
    }
    vct_status st = yaml_parse(text, path, out, err);
    free(text);
    return st;
}

const cJSON *yaml_get(const cJSON *root, const char *dotted) {
    const cJSON *n = root;
    char key[256];
    while (n && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (l >= sizeof key) return NULL;
        memcpy(key, dotted, l);
        key[l] = '\0';
        n = cJSON_GetObjectItemCaseSensitive(n, key);
        dotted += l + (dot ? 1 : 0);
    }
    return n;
}

vct_status yaml_get_int(const cJSON *root, const char *dotted, long *out, vct_error *err) {
    const cJSON *n = yaml_get(root, dotted);
    if (!n) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s is missing", dotted);
    if (!cJSON_IsNumber(n) || n->valuedouble != (double)(long)n->valuedouble)
        return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: expected an integer", dotted);
    *out = (long)n->valuedouble;
    return VCT_STATUS_OK;
}

vct_status yaml_get_double(const cJSON *root, const char *dotted, double *out, vct_error *err) {
    const cJSON *n = yaml_get(root, dotted);
    if (!n) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s is missing", dotted);
    if (!cJSON_IsNumber(n)) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: expected a number", dotted);
    *out = n->valuedouble;
    return VCT_STATUS_OK;
}

vct_status yaml_get_str(const cJSON *root, const char *dotted, const char **out, vct_error *err) {
    const cJSON *n = yaml_get(root, dotted);
    if (!n) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s is missing", dotted);
    if (!cJSON_IsString(n)) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: expected a string", dotted);
    *out = n->valuestring;
    return VCT_STATUS_OK;
}

vct_status yaml_get_int_list(const cJSON *root, const char *dotted, long *out, int cap, int *n,
                             vct_error *err) {
    const cJSON *a = yaml_get(root, dotted);
    if (!a) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s is missing", dotted);
    if (!cJSON_IsArray(a)) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: expected a list", dotted);
    int k = 0;
    for (const cJSON *e = a->child; e; e = e->next) {
        if (k == cap) return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: more than %d entries", dotted, cap);
        if (!cJSON_IsNumber(e) || e->valuedouble != (double)(long)e->valuedouble)
            return vct_fail(err, VCT_STATUS_FORMAT, "config key %s: entry %d is not an integer", dotted, k);
        out[k++] = (long)e->valuedouble;
    }
    *n = k;
    return VCT_STATUS_OK;
}
