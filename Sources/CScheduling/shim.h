// Thread placement (glibc's CPU affinity calls), which the Glibc module leaves out: they are GNU extensions,
// declared only with _GNU_SOURCE, which a module built before this header cannot be given.
#ifndef ADAPTEST_CSCHEDULING_SHIM_H
#define ADAPTEST_CSCHEDULING_SHIM_H

#include <pthread.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <sched.h>
#include <stddef.h>

extern int sched_getcpu(void);
extern int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set);
extern int pthread_attr_setaffinity_np(pthread_attr_t *attributes, size_t size, const cpu_set_t *set);
#endif

/// Lets a thread created with `attributes` run on the CPUs the calling thread may run on, except the one it
/// runs on now. 1 if set; 0 (attributes unchanged) where that leaves no CPU, the CPU is unknown, or
/// outside Linux with glibc.
static inline int cscheduling_avoid_current_cpu(pthread_attr_t *attributes) {
#if defined(__linux__) && defined(__GLIBC__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  int current = sched_getcpu();
  const size_t bitsPerWord = 8 * sizeof allowed.__bits[0];
  if (current < 0 || (size_t)current >= bitsPerWord * (sizeof allowed.__bits / sizeof allowed.__bits[0])) return 0;
  allowed.__bits[current / bitsPerWord] &= ~(1UL << (current % bitsPerWord));
  int others = 0;
  for (size_t word = 0; word < sizeof allowed.__bits / sizeof allowed.__bits[0]; word++) {
    others |= allowed.__bits[word] != 0;
  }
  if (!others) return 0;
  return pthread_attr_setaffinity_np(attributes, sizeof allowed, &allowed) == 0;
#else
  (void)attributes;
  return 0;
#endif
}

/// How many CPUs the calling thread may run on; 0 where that is not known (outside Linux with glibc).
static inline int cscheduling_allowed_cpu_count(void) {
#if defined(__linux__) && defined(__GLIBC__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  int count = 0;
  for (size_t word = 0; word < sizeof allowed.__bits / sizeof allowed.__bits[0]; word++) {
    count += __builtin_popcountl(allowed.__bits[word]);
  }
  return count;
#else
  return 0;
#endif
}

#endif
