/* Linked into the prebuilt binaries only (scripts/prebuild.sh), never into a source build.
 *
 * The prebuilds are compiled on a newer glibc than the oldest we support (2.31: Debian 11,
 * Ubuntu 20.04). libstdc++ is linked statically, so no GLIBCXX version is needed, but the
 * toolchain still binds a few symbols to glibc versions newer than 2.31. Each one is handled
 * here; scripts/prebuild.sh fails when a new one appears (readelf -V), so a new entry is
 * added here rather than shipped by accident.
 *
 *   __libc_single_threaded (GLIBC_2.32): a flag libstdc++ reads to skip atomics in
 *     single-threaded processes. Defined here, hidden, as 0 ("maybe multi-threaded"):
 *     libstdc++ then always uses atomic operations, which is correct everywhere.
 *   pthread_setname_np (default version GLIBC_2.34 since it moved into libc): bound to its
 *     original version (GLIBC_2.12 on x86_64, GLIBC_2.17 on aarch64) through
 *     -Wl,--wrap=pthread_setname_np.
 *   arc4random (GLIBC_2.36; referenced by libstdc++'s std::random_device, which the addon
 *     does not use): reimplemented with the getrandom system call via -Wl,--wrap=arc4random.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SWIM_SETNAME_VERSION "GLIBC_2.12"
#elif defined(__aarch64__)
#define SWIM_SETNAME_VERSION "GLIBC_2.17"
#else
#error "glibc-compat.c: unsupported architecture (add its baseline symbol versions)"
#endif

#define SWIM_HIDDEN __attribute__((visibility("hidden")))

SWIM_HIDDEN char __libc_single_threaded = 0;

extern int swim_compat_pthread_setname_np(pthread_t thread, const char *name);
__asm__(".symver swim_compat_pthread_setname_np, pthread_setname_np@" SWIM_SETNAME_VERSION);

SWIM_HIDDEN int __wrap_pthread_setname_np(pthread_t thread, const char *name) {
  return swim_compat_pthread_setname_np(thread, name);
}

SWIM_HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value;
  for (;;) {
    long n = syscall(SYS_getrandom, &value, sizeof value, 0);
    if (n == (long)sizeof value) return value;
    if (n < 0 && errno != EINTR) abort();  /* arc4random cannot fail either */
  }
}
