/* fs.h: folders: create with parents, test for emptiness, remove a whole tree
 * (the staging folder of a run that failed), and a unique staging name. */
#ifndef VCT_IO_FS_H
#define VCT_IO_FS_H

#include "core/error.h"

/* mkdir -p: every missing folder of path (existing ones are fine). */
vct_status fs_mkdirs(const char *path, vct_error *err);

/* mkdir -p of the folder that holds the file path (nothing when path has no '/'). */
vct_status fs_mkdirs_parent(const char *path, vct_error *err);

/* 1: path does not exist or is an empty folder; 0: it is a file or a folder with
 * entries (or cannot be read). */
int fs_missing_or_empty(const char *path);

/* rm -r: removes path and everything under it, never following symbolic links
 * (a link is removed, not its target). A missing path is not an error. */
vct_status fs_remove_tree(const char *path, vct_error *err);

#endif
