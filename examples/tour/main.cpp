// The tour of triad: runs the C++ ports of the seed scenarios (SCENARIOS.md) in lesson order
// and exits non-zero if any of their checks fails. See docs/tour.md and `tour --help`.
// The lesson table and the command line live in tour/tour.cpp so that tests can drive them.
#include <iostream>
#include <string_view>
#include <vector>

#include "tour/tour.hpp"

int main(int argc, char** argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return tour::tour_main(args, std::cout, std::cerr);
}

