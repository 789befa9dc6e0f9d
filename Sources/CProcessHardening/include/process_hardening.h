#ifndef TALLY_PROCESS_HARDENING_H
#define TALLY_PROCESS_HARDENING_H

/// No core file and no ptrace attach by the same user: a crash or a debugger
/// does not write the secret key (or opened secrets) to disk. 0 on success.
int tally_forbid_core_dumps(void);

/// 1 when the process may not dump core (PR_GET_DUMPABLE is 0).
int tally_core_dumps_forbidden(void);

/// Removes `name` from the environment and overwrites its text where the
/// process's environment strings live (what /proc/PID/environ shows).
void tally_scrub_environment(const char *name);

#endif
