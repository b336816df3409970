// triad::aio — asyncio for C++20 coroutines. Umbrella header; see docs/aio.md.
#pragma once

#include "triad/aio/event_loop.hpp"
#include "triad/aio/sleep.hpp"
#include "triad/aio/task.hpp"
