// Compiles every queue template once with the library's strict warning set, so header
// mistakes show up when the library builds, not only in users' code.
#include <functional>
#include <string>
#include <utility>

#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"
#include "triad/queue/simple_queue.hpp"

namespace triad {

template class BasicQueue<int, detail::FifoStore<int>>;
template class BasicQueue<std::string, detail::LifoStore<std::string>>;
template class BasicQueue<
    std::pair<int, std::string>,
    detail::HeapStore<std::pair<int, std::string>, std::less<std::pair<int, std::string>>>>;
template class SimpleQueue<int>;

}  // namespace triad
