// Everything in triad.
#pragma once

#include "triad/core.hpp"
