// triad::process — multiprocessing for C++: processes, pipes, shared-memory primitives and
// queues, Manager and the two pools.
// See docs/process.md for the map from Python's multiprocessing.
#pragma once

#include "triad/process/connection.hpp"
#include "triad/process/context.hpp"
#include "triad/process/manager.hpp"
#include "triad/process/pool.hpp"
#include "triad/process/process_pool_executor.hpp"
#include "triad/process/process.hpp"
#include "triad/process/queues.hpp"
#include "triad/process/sharedctypes.hpp"
#include "triad/process/synchronize.hpp"
