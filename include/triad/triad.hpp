// Everything in the core library triad::triad: core, threading, queue, futures.
//
// The optional components have umbrellas of their own, each with its library target:
//   <triad/net.hpp>      triad::net      sockets and the reactor
//   <triad/green.hpp>    triad::green    greenlet, gevent-style hub, monkey patching
//   <triad/process.hpp>  triad::process  multiprocessing
//   <triad/aio.hpp>      triad::aio      asyncio
#pragma once

#include "triad/core.hpp"
#include "triad/futures.hpp"
#include "triad/queue.hpp"
#include "triad/threading.hpp"
