// triad queue: FIFO, LIFO, priority and simple queues between threads (and green threads).
// Python: queue
#pragma once

#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"
#include "triad/queue/simple_queue.hpp"
