/* test_header.c: the public header compiles alone under -std=c11 -pedantic. */
#pragma GCC diagnostic error "-Wpedantic"
#include "vct.h"
#pragma GCC diagnostic warning "-Wpedantic"

#include <string.h>

#include "testlib.h"

int main(void) {
    vct_error err = {VCT_STATUS_OK, ""};
    tl_expect(strcmp(vct_status_name(VCT_STATUS_FORMAT), "format error") == 0, "status names", "%s",
              vct_status_name(VCT_STATUS_FORMAT));
    tl_expect(err.status == VCT_STATUS_OK && VCT_ERROR_MSG_MAX >= 1024, "error record", "bad defaults");
    return tl_summary("test_header");
}
