#ifndef GBSNAP_CARCHIVE_SHIM_H
#define GBSNAP_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* AE_IF* are cast macros that Swift cannot import. */
static inline unsigned int carchive_ae_ifreg(void) { return AE_IFREG; }
static inline unsigned int carchive_ae_ifdir(void) { return AE_IFDIR; }
static inline unsigned int carchive_ae_iflnk(void) { return AE_IFLNK; }
#endif
