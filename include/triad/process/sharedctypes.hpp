// Value<T> and Array<T>: plain data in shared memory, with a lock.
//
// Python: multiprocessing.Value / Array (module multiprocessing.sharedctypes).
//
//   triad::process::Value<int> counter(0);
//   triad::process::Process p([&] {
//     std::lock_guard g(counter.get_lock());
//     counter.get_obj() += 1;                     // compound update under the lock
//   });
//   p.start(); p.join();
//   assert(counter.value() == 1);
//
// T must be trivially copyable (it lives in shared memory and is copied byte-wise). The
// memory is an anonymous shared mapping inherited by fork children (see synchronize.hpp).
// value()/set_value() and get(i)/set(i, v) take the lock (Python's synchronized wrapper
// does); get_obj() and operator[] give raw access: hold get_lock() for compound updates.
// With lock=false (Python: lock=False) value()/set_value() do not lock, and get_lock()
// still returns a lock nobody else uses.
// Thread safety: as for T in shared memory; the locked accessors are safe from any thread of
// any process.
#pragma once

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/process/detail/shm.hpp"
#include "triad/process/synchronize.hpp"

namespace triad::process {

template <class T>
class Value {
  static_assert(std::is_trivially_copyable_v<T>,
                "triad::process::Value<T> needs a trivially copyable T (it is shared "
                "byte-wise between processes); send other types through a Queue or a Pipe");

 public:
  explicit Value(T initial = T{}, bool lock = true) : locked_(lock) {
    p_ = detail::make_shared_object<Slot>(seg_, 0);
    std::memcpy(static_cast<void*>(&p_->v), &initial, sizeof(T));
  }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  // A copy of the value (under the lock unless lock=false).
  [[nodiscard]] T value() const {
    if (!locked_) return p_->v;
    std::lock_guard<RLock> g(lock_);
    return p_->v;
  }
  void set_value(const T& v) {
    if (!locked_) {
      p_->v = v;
      return;
    }
    std::lock_guard<RLock> g(lock_);
    p_->v = v;
  }
  // The shared object itself (no locking).
  [[nodiscard]] T& get_obj() const noexcept { return p_->v; }
  [[nodiscard]] RLock& get_lock() const noexcept { return lock_; }

 private:
  struct Slot {
    T v;
  };
  detail::SharedSegment seg_;
  Slot* p_ = nullptr;
  bool locked_;
  mutable RLock lock_;
};

template <class T>
class Array {
  static_assert(std::is_trivially_copyable_v<T>,
                "triad::process::Array<T> needs a trivially copyable T (it is shared "
                "byte-wise between processes)");

 public:
  // n zero-initialised elements (Python: Array('i', 10)).
  explicit Array(std::size_t n, bool lock = true) : n_(n), locked_(lock) {
    seg_ = detail::SharedSegment(n * sizeof(T) + 1);
    data_ = static_cast<T*>(seg_.data());
  }
  // The given elements (Python: Array('i', [1, 2, 3])).
  Array(std::initializer_list<T> init, bool lock = true) : Array(init.size(), lock) {
    std::size_t i = 0;
    for (const T& v : init) std::memcpy(static_cast<void*>(data_ + i++), &v, sizeof(T));
  }
  explicit Array(const std::vector<T>& init, bool lock = true) : Array(init.size(), lock) {
    if (!init.empty()) std::memcpy(static_cast<void*>(data_), init.data(), init.size() * sizeof(T));
  }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  // Raw element access (no locking, no bounds check).
  T& operator[](std::size_t i) const noexcept { return data_[i]; }
  // Locked, bounds-checked access. Throws ValueError("array index out of range")
  // (Python raises IndexError).
  [[nodiscard]] T get(std::size_t i) const {
    check(i);
    if (!locked_) return data_[i];
    std::lock_guard<RLock> g(lock_);
    return data_[i];
  }
  void set(std::size_t i, const T& v) {
    check(i);
    if (!locked_) {
      data_[i] = v;
      return;
    }
    std::lock_guard<RLock> g(lock_);
    data_[i] = v;
  }
  // A locked snapshot (Python: arr[:]).
  [[nodiscard]] std::vector<T> to_vector() const {
    std::lock_guard<RLock> g(lock_);
    return std::vector<T>(data_, data_ + n_);
  }
  [[nodiscard]] T* data() const noexcept { return data_; }
  [[nodiscard]] T* begin() const noexcept { return data_; }
  [[nodiscard]] T* end() const noexcept { return data_ + n_; }
  [[nodiscard]] RLock& get_lock() const noexcept { return lock_; }

 private:
  void check(std::size_t i) const {
    if (i >= n_) throw ValueError("array index out of range");
  }
  detail::SharedSegment seg_;
  T* data_ = nullptr;
  std::size_t n_;
  bool locked_;
  mutable RLock lock_;
};

}  // namespace triad::process
