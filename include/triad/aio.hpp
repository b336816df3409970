// triad::aio — asyncio for C++20 coroutines. Umbrella header; see docs/aio.md.
#pragma once

#include "triad/aio/bridge.hpp"
#include "triad/aio/event_loop.hpp"
#include "triad/aio/future.hpp"
#include "triad/aio/queue.hpp"
#include "triad/aio/gather.hpp"
#include "triad/aio/shield.hpp"
#include "triad/aio/sleep.hpp"
#include "triad/aio/task.hpp"
#include "triad/aio/task_group.hpp"
#include "triad/aio/timeout.hpp"
#include "triad/aio/streams.hpp"
#include "triad/aio/sync.hpp"
#include "triad/aio/wait.hpp"

#if TRIAD_AIO_HAVE_BLOCKING
#include "triad/aio/blocking.hpp"
#endif
