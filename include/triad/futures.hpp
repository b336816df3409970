// triad futures: Future/Promise, wait/as_completed, Executor, ThreadPoolExecutor.
// Python: concurrent.futures
#pragma once

#include "triad/futures/executor.hpp"
#include "triad/futures/future.hpp"
#include "triad/futures/thread_pool_executor.hpp"
#include "triad/futures/wait.hpp"
