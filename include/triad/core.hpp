// triad core: errors, timeouts and deadlines, the parking interface.
#pragma once

#include "triad/core/error.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
