// The persistent thread pool (created once, grown on demand, never torn down: the workers sleep on a condition
// variable between jobs after spinning for up to 2 ms) and the per-thread scratch buffers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common.h"

namespace bk {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// Spin (with pause) until pred() holds or `us` microseconds passed; true if pred() held. Workers spin this long after
// a job before sleeping: kernels come in quick succession, and a sleeping thread on a busy machine may wait a whole
// scheduler slice to run again.
template <class P>
bool spin_until(const P& pred, int64_t us) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0;; i++) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > std::chrono::microseconds(us)) return pred();
  }
}

constexpr int64_t kSpinUs = 2000;

thread_local bool t_in_pool = false;  // set on workers and on a caller while it runs a job: nested loops run serially

struct Job {
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int64_t ntasks = 0;
  int threads = 0;   // participants, the caller (worker 0) included
  uint64_t seq = 0;  // job number: tasks are claimed as (seq << 32 | index), so a late worker never claims a later job's
};

// The caller waits for the job's TASKS to finish, not for every worker to check in: a worker that the OS has not
// run yet (busy machine) simply finds nothing left to claim, and never holds the caller up.
class Pool {
 public:
  void reserve(int threads) {
    std::lock_guard<std::mutex> busy(submit_);
    grow(threads);
  }

  int size() const { return static_cast<int>(workers_) + 1; }

  /** Returns false (and runs nothing) when another thread is using the pool. */
  bool run(int threads, int64_t ntasks, TaskFn fn, void* ctx) {
    std::unique_lock<std::mutex> busy(submit_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    grow(threads);
    int participants = threads;
    if (participants > size()) participants = size();
    if (participants > ntasks) participants = static_cast<int>(ntasks);
    Job j;
    {
      std::lock_guard<std::mutex> g(m_);
      job_.fn = fn;
      job_.ctx = ctx;
      job_.ntasks = ntasks;
      job_.threads = participants;
      job_.seq = ++seq_;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(job_.seq << 32, std::memory_order_relaxed);
      gen_.store(job_.seq, std::memory_order_release);
      j = job_;
    }
    cv_.notify_all();
    t_in_pool = true;
    work(j, 0);
    t_in_pool = false;
    // wait for the tasks the workers claimed: spin a little, then sleep
    if (!spin_until([&] { return done_.load(std::memory_order_acquire) == ntasks; }, kSpinUs)) {
      std::unique_lock<std::mutex> lk(m_);
      done_cv_.wait(lk, [&] { return done_.load(std::memory_order_acquire) == ntasks; });
    }
    return true;
  }

 private:
  // Claims and runs tasks of job j until none is left (or the job is over).
  void work(const Job& j, int worker) {
    uint64_t v = claim_.load(std::memory_order_acquire);
    for (;;) {
      if ((v >> 32) != j.seq || static_cast<int64_t>(v & 0xffffffffu) >= j.ntasks) return;
      if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      j.fn(j.ctx, static_cast<int64_t>(v & 0xffffffffu), worker);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == j.ntasks) {
        std::lock_guard<std::mutex> g(m_);
        done_cv_.notify_one();
      }
      v = claim_.load(std::memory_order_acquire);
    }
  }

  // Called with submit_ held, so that a new worker's first generation is the current one.
  void grow(int threads) {
    while (static_cast<int>(workers_) + 1 < threads) {
      int id = static_cast<int>(++workers_);
      std::thread(&Pool::worker_main, this, id, gen_.load(std::memory_order_acquire)).detach();
    }
  }

  void worker_main(int id, uint64_t seen) {
    t_in_pool = true;
    for (;;) {
      spin_until([&] { return gen_.load(std::memory_order_acquire) != seen; }, kSpinUs);
      Job j;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return gen_.load(std::memory_order_relaxed) != seen; });
        seen = gen_.load(std::memory_order_relaxed);
        j = job_;
      }
      if (id < j.threads) work(j, id);
    }
  }

  std::mutex submit_;
  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::atomic<unsigned> workers_{0};
  Job job_;
  uint64_t seq_ = 0;
  std::atomic<uint64_t> gen_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};
};

// Leaked on purpose: detached workers may still wait on it while the process exits.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

struct Scratch {
  void* p[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  size_t n[5] = {0, 0, 0, 0, 0};
  ~Scratch() {
    for (void* q : p) std::free(q);
  }
};
thread_local Scratch t_scratch;

}  // namespace

void parallel_tasks(int threads, int64_t ntasks, TaskFn fn, void* ctx) {
  if (ntasks <= 0) return;
  if (threads > 1 && ntasks > 1 && ntasks < (int64_t{1} << 31) && !t_in_pool && pool().run(threads, ntasks, fn, ctx))
    return;
  for (int64_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
}

void pool_reserve(int threads) { pool().reserve(threads); }

int hardware_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n >= 1 ? static_cast<int>(n) : 1;
}

void* thread_scratch(int slot, size_t bytes) {
  Scratch& s = t_scratch;
  if (s.n[slot] < bytes) {
    std::free(s.p[slot]);
    size_t n = (bytes + 4095) & ~static_cast<size_t>(4095);
    s.p[slot] = std::aligned_alloc(64, n);
    if (s.p[slot] == nullptr) {
      s.n[slot] = 0;
      throw std::bad_alloc();
    }
    s.n[slot] = n;
  }
  return s.p[slot];
}

}  // namespace bk
