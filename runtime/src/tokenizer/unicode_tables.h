/* unicode_tables.h: the shapes of the generated tables in unicode_tables.c.
 * Only unicode.c reads them; everything else goes through unicode.h. */
#ifndef CB_UNICODE_TABLES_H
#define CB_UNICODE_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* first..last (inclusive) share one value (flags or combining class). */
typedef struct cb_urange {
    uint32_t first;
    uint32_t last;
    uint8_t value;
} cb_urange;

typedef struct cb_ulower {
    uint32_t cp;
    uint32_t to;
} cb_ulower;

typedef struct cb_ulower_multi {
    uint32_t cp;
    uint8_t n;
    uint32_t to[3];
} cb_ulower_multi;

typedef struct cb_udecomp {
    uint32_t cp;
    uint16_t offset;   /* into cb_udecomp_pool */
    uint16_t len;
} cb_udecomp;

extern const uint8_t cb_uflags_ascii[128];
extern const cb_urange cb_uflag_runs[];
extern const size_t cb_uflag_runs_count;
extern const cb_urange cb_uccc_runs[];
extern const size_t cb_uccc_runs_count;
extern const cb_ulower cb_ulower1[];
extern const size_t cb_ulower1_count;
extern const cb_ulower_multi cb_ulowerm[];
extern const size_t cb_ulowerm_count;
extern const cb_udecomp cb_udecomps[];
extern const size_t cb_udecomps_count;
extern const uint32_t cb_udecomp_pool[];
extern const uint8_t cb_ugpt2_ascii[128];
extern const cb_urange cb_ugpt2_runs[];
extern const size_t cb_ugpt2_runs_count;

#endif
