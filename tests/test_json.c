/* test_json.c: the JSON reader of the tools and the tests (tools/json):
 * strings keep their bytes and length (\u0000 included), surrogate pairs
 * become 4-byte UTF-8, lone surrogates stay visible, numbers keep their
 * text, and every malformed input is refused with its byte offset. The
 * expected bytes are written out by hand here. */
#include <criterion/criterion.h>
#include <string.h>

#include "json/json_value.h"
#include "jsonl_pair.h"

#define TIMEOUT 60

static jv parse_ok(const char *s)
{
    jv v;
    char why[128];
    cr_assert(jv_parse(s, strlen(s), &v, why, sizeof why), "%s: %s", s, why);
    return v;
}

static void parse_fails(const char *s, const char *reason)
{
    jv v;
    char why[128];
    cr_assert_not(jv_parse(s, strlen(s), &v, why, sizeof why), "accepted %s", s);
    cr_assert(strstr(why, reason), "%s: got \"%s\", want \"%s\"", s, why, reason);
}

Test(json, strings_keep_every_byte, .timeout = TIMEOUT)
{
    jv v = parse_ok("\"a\\u0000b\\n\\t\\\"\\\\\\/\\b\\f\\r\\u00e9\\u20ac\\ud83d\\ude00\"");
    const char want[] = "a\0b\n\t\"\\/\b\f\r\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    cr_assert_eq(v.type, J_STR);
    cr_assert_eq(v.str_len, sizeof want - 1);
    cr_assert_eq(memcmp(v.str, want, sizeof want - 1), 0);
    cr_assert_eq(v.str[v.str_len], '\0');
    jfree(&v);
    /* Raw UTF-8 passes through unchanged. */
    v = parse_ok("\"Stra\xc3\x9f" "e\"");
    cr_assert_eq(v.str_len, 7);
    cr_assert_eq(memcmp(v.str, "Stra\xc3\x9f" "e", 7), 0);
    jfree(&v);
}

Test(json, lone_surrogates_stay_visible, .timeout = TIMEOUT)
{
    /* Kept as their 3-byte form (not valid UTF-8) so the tokenizer refuses
     * the text with its offset instead of the reader guessing. */
    jv v = parse_ok("\"x\\ud800y\"");
    cr_assert_eq(v.str_len, 5);
    cr_assert_eq(memcmp(v.str, "x\xed\xa0\x80y", 5), 0);
    jfree(&v);
    v = parse_ok("\"\\udc00\\ud800\\u0041\"");
    cr_assert_eq(v.str_len, 7);
    cr_assert_eq(memcmp(v.str, "\xed\xb0\x80\xed\xa0\x80" "A", 7), 0);
    jfree(&v);
}

Test(json, containers_numbers_literals, .timeout = TIMEOUT)
{
    jv v = parse_ok(" {\"qid\": 1037798, \"score\": -1.5e-3, \"ok\": true, \"no\": false, \"x\": null,"
                    " \"list\": [[], {}, \"a\\u0000\"], \"k\\u0000\": 0} ");
    cr_assert_eq(v.type, J_OBJ);
    cr_assert_eq(v.n, 7);
    const jv *q = jget(&v, "qid");
    cr_assert(q && q->type == J_NUM);
    cr_assert_str_eq(q->str, "1037798");
    cr_assert_eq(q->num, 1037798.0);
    const jv *s = jget(&v, "score");
    cr_assert(s && s->type == J_NUM);
    cr_assert_str_eq(s->str, "-1.5e-3");
    cr_assert_eq(s->num, -1.5e-3);
    cr_assert(jget(&v, "ok")->type == J_BOOL && jget(&v, "ok")->num == 1);
    cr_assert(jget(&v, "no")->type == J_BOOL && jget(&v, "no")->num == 0);
    cr_assert(jget(&v, "x")->type == J_NULL);
    const jv *l = jget(&v, "list");
    cr_assert(l && l->type == J_ARR && l->n == 3);
    cr_assert(l->items[0].type == J_ARR && l->items[0].n == 0);
    cr_assert(l->items[1].type == J_OBJ && l->items[1].n == 0);
    cr_assert(l->items[2].str_len == 2 && memcmp(l->items[2].str, "a\0", 2) == 0);
    cr_assert_null(jget(&v, "missing"));
    cr_assert_null(jget(l, "qid"), "an array has no members");
    jfree(&v);
}

Test(json, malformed_input_is_refused_with_its_offset, .timeout = TIMEOUT)
{
    parse_fails("", "expected a value at byte 0");
    parse_fails("[\"a\", ]", "expected a value at byte 6");
    parse_fails("[\"a\" \"b\"]", "expected ',' or ']' at byte 5");
    parse_fails("{\"a\" 1}", "expected ':' at byte 5");
    parse_fails("{1: 2}", "expected a key at byte 1");
    parse_fails("\"abc", "unterminated string at byte 4");
    parse_fails("\"a\\qb\"", "bad escape at byte 2");
    parse_fails("\"\\u12g4\"", "bad \\u escape");
    parse_fails("\"tab\there\"", "control character in a string at byte 4");
    parse_fails("01", "unexpected text after the value at byte 1");
    parse_fails("1.", "expected a digit at byte 2");
    parse_fails("-", "expected a value at byte 1");
    parse_fails("tru", "expected a value at byte 0");
    parse_fails("[1] x", "unexpected text after the value at byte 4");
    parse_fails("[1, [2, {\"a\": \"b", "unterminated string");
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    deep[sizeof deep - 1] = '\0';
    parse_fails(deep, "nesting too deep at byte 256");
}

Test(json, jsonl_lines_for_the_cli, .timeout = TIMEOUT)
{
    jsonl_pair p;
    char why[128];
    const char line[] = "[\"q\\u0000\", \"passage\"]";
    cr_assert(jsonl_pair_parse(line, sizeof line - 1, &p, why, sizeof why), "%s", why);
    cr_assert_eq(p.len[0], 2);
    cr_assert_eq(memcmp(p.text[0], "q\0", 2), 0);
    cr_assert_str_eq(p.text[1], "passage");
    jsonl_pair_free(&p);
    const char *bad[] = { "[\"only one\"]", "[\"a\", \"b\", \"c\"]", "[\"a\", 1]", "\"a\"", "{\"a\": \"b\"}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_not(jsonl_pair_parse(bad[i], strlen(bad[i]), &p, why, sizeof why), "accepted %s", bad[i]);
        cr_assert(strstr(why, "expected an array of two strings"), "%s: %s", bad[i], why);
        cr_assert_null(p.text[0]);
    }
    cr_assert_not(jsonl_pair_parse("[\"a\", \"b\"", 9, &p, why, sizeof why));
    cr_assert(strstr(why, "expected ',' or ']' at byte 9"), "%s", why);
    char *t;
    size_t n;
    cr_assert(jsonl_text_parse("\"x\\u0000y\"", 10, &t, &n, why, sizeof why), "%s", why);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(t, "x\0y", 3), 0);
    free(t);
    cr_assert_not(jsonl_text_parse("[\"x\"]", 5, &t, &n, why, sizeof why));
    cr_assert(strstr(why, "expected a JSON string"), "%s", why);
    cr_assert_null(t);
}
