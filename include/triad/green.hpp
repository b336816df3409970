// triad::green — green threads: greenlet, the gevent-style hub, Greenlet/spawn/joinall,
// Timeout, Pool/Group, monkey patching and StreamServer. See docs/green.md.
#pragma once

#include "triad/green/greenlet.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/spawn.hpp"
#include "triad/green/timeout.hpp"
#include "triad/green/monkey.hpp"
#include "triad/green/pool.hpp"
#include "triad/green/server.hpp"
