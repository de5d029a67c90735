// Thread placement (glibc's CPU affinity calls), which the Glibc module leaves out: they are GNU extensions,
// declared only with _GNU_SOURCE, which a module built before this header cannot be given.
#ifndef ADAPTEST_CSCHEDULING_SHIM_H
#define ADAPTEST_CSCHEDULING_SHIM_H

#include <pthread.h>
#include <string.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <sched.h>
#include <stddef.h>

#ifndef __USE_GNU
extern int sched_getcpu(void);
extern int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set);
extern int pthread_attr_setaffinity_np(pthread_attr_t *attributes, size_t size, const cpu_set_t *set);
extern int pthread_attr_getaffinity_np(const pthread_attr_t *attributes, size_t size, cpu_set_t *set);
extern int pthread_setaffinity_np(pthread_t thread, size_t size, const cpu_set_t *set);
#endif
#define CSCHEDULING_AFFINITY 1
#endif

/// The CPUs a thread may run on, as the calling thread had them (`valid` 0 where that is not known).
typedef struct {
  unsigned long bits[16];
  int valid;
} cscheduling_cpus;

#ifdef CSCHEDULING_AFFINITY
static inline int cscheduling_count(const cpu_set_t *set) {
  int count = 0;
  for (size_t word = 0; word < sizeof set->__bits / sizeof set->__bits[0]; word++) {
    count += __builtin_popcountl(set->__bits[word]);
  }
  return count;
}
#endif

/// Lets a thread created with `attributes` start on the CPUs the calling thread may run on, except the one it
/// runs on now; `allowed` receives the calling thread's CPUs, for the new thread to take back once it runs
/// (``cscheduling_allow``). 1 if set; 0 (attributes unchanged) where that leaves no CPU, the CPU is unknown, or
/// outside Linux with glibc.
static inline int cscheduling_avoid_current_cpu(pthread_attr_t *attributes, cscheduling_cpus *allowed) {
  allowed->valid = 0;
#ifdef CSCHEDULING_AFFINITY
  cpu_set_t set;
  if (sizeof set != sizeof allowed->bits || sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  memcpy(allowed->bits, &set, sizeof set);
  allowed->valid = 1;
  int current = sched_getcpu();
  const size_t bitsPerWord = 8 * sizeof set.__bits[0];
  if (current < 0 || (size_t)current >= bitsPerWord * (sizeof set.__bits / sizeof set.__bits[0])) return 0;
  set.__bits[current / bitsPerWord] &= ~(1UL << (current % bitsPerWord));
  if (cscheduling_count(&set) == 0) return 0;
  return pthread_attr_setaffinity_np(attributes, sizeof set, &set) == 0;
#else
  (void)attributes;
  return 0;
#endif
}

/// Lets the calling thread run on `allowed` (from ``cscheduling_avoid_current_cpu``), where known.
static inline void cscheduling_allow(const cscheduling_cpus *allowed) {
#ifdef CSCHEDULING_AFFINITY
  if (!allowed->valid) return;
  cpu_set_t set;
  memcpy(&set, allowed->bits, sizeof set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
  (void)allowed;
#endif
}

/// How many CPUs the calling thread may run on (`attributes` NULL), or a thread created with `attributes`;
/// 0 where that is not known (outside Linux with glibc). For tests.
static inline int cscheduling_allowed_cpu_count(const pthread_attr_t *attributes) {
#ifdef CSCHEDULING_AFFINITY
  cpu_set_t set;
  int status = attributes ? pthread_attr_getaffinity_np(attributes, sizeof set, &set) : sched_getaffinity(0, sizeof set, &set);
  return status == 0 ? cscheduling_count(&set) : 0;
#else
  (void)attributes;
  return 0;
#endif
}

#endif
