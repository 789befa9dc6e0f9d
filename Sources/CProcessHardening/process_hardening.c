#define _GNU_SOURCE
#include "process_hardening.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

extern char **environ;

int tally_forbid_core_dumps(void) {
    struct rlimit none = {0, 0};
    int result = setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) result = -1;
#endif
    return result;
}

int tally_core_dumps_forbidden(void) {
#ifdef __linux__
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
#else
    return 0;
#endif
}

void tally_scrub_environment(const char *name) {
    size_t length = strlen(name);
    char *found[8];
    size_t count = 0;
    for (char **entry = environ; entry && *entry && count < 8; entry++) {
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') found[count++] = *entry;
    }
    unsetenv(name);
    // The strings stay where the kernel put them (what /proc/PID/environ
    // reads) after unsetenv drops the pointers: overwrite them too.
    for (size_t index = 0; index < count; index++) memset(found[index], 0, strlen(found[index]));
}
