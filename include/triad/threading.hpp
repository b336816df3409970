// triad threading: threads, timers, and the synchronisation primitives.
// Python: threading
#pragma once

#include "triad/threading/barrier.hpp"
#include "triad/threading/condition.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/excepthook.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/rlock.hpp"
#include "triad/threading/semaphore.hpp"
#include "triad/threading/thread.hpp"
#include "triad/threading/timer.hpp"
