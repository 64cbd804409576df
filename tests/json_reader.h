/* json_reader.h: the test suites read the reference files with the tools'
 * JSON reader (tools/json/json_value.h: cJSON ends strings at an escaped
 * \u0000, and one reference text holds one); this adds the file reading and
 * a Criterion failure instead of an error return. */
#ifndef CB_TEST_JSON_READER_H
#define CB_TEST_JSON_READER_H

#include "json/json_value.h"

/* Parses the file at path into *out (release with jfree) or fails the test. */
void load_json(const char *path, jv *out);

#endif
