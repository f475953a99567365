// The out-of-line parts of gauges: set_function and the reclamation of replaced functions; see
// bentoml/metrics/detail/gauge_cell.hpp (set, inc and dec are inline there).
#include "bentoml/metrics/detail/gauge_cell.hpp"

#include <mutex>
#include <utility>

#include "bentoml/metrics/error.hpp"

namespace bentoml::metrics::detail {

// Replaced functions are reclaimed without a lock, by counting callers (the argument uses the
// single total order of seq_cst operations): a scrape increments `callers` and then loads
// `current`; a setter exchanges `current`, pushes the old function on `retired`, takes the whole
// `retired` list and only then loads `callers`. A scrape still holding a function F loaded it
// before the exchange that retired F, so its increment precedes that exchange, which precedes
// the push, the take and the load of `callers`: the setter sees it and keeps the list (pushing
// it back for a later setter). A scrape that increments later loads a newer function.

GaugeCell::~GaugeCell() {
  Functions* state = functions();
  if (state == nullptr) return;
  delete state->current.load(std::memory_order_acquire);
  Function* retired = state->retired.load(std::memory_order_acquire);
  while (retired != nullptr) delete std::exchange(retired, retired->next_retired);
  delete state;
}

double GaugeCell::current() const {
  Functions* state = functions();
  if (state == nullptr) return value();
  struct Caller {
    std::atomic<int>& callers;
    explicit Caller(std::atomic<int>& count) : callers(count) {
      callers.fetch_add(1, std::memory_order_seq_cst);
    }
    ~Caller() { callers.fetch_sub(1, std::memory_order_release); }
    Caller(const Caller&) = delete;
    Caller& operator=(const Caller&) = delete;
  } caller(state->callers);
  const Function* function = state->current.load(std::memory_order_seq_cst);
  return function != nullptr ? function->call() : value();
}

void GaugeCell::set_function(std::function<double()> function) {
  if (multiprocess()) {
    throw Error(
        "set_function is not available in multiprocess mode: the function would run only in "
        "this process, while the aggregate is read from the files; set the gauge instead");
  }
  Functions* state = functions();
  if (state == nullptr) {
    auto* fresh = new Functions();
    if (functions_.compare_exchange_strong(state, fresh, std::memory_order_acq_rel)) {
      state = fresh;
    } else {
      delete fresh;  // another setter installed one first
    }
  }
  auto* fresh = new Function{std::move(function)};
  Function* replaced = state->current.exchange(fresh, std::memory_order_seq_cst);
  if (replaced != nullptr) retire(*state, replaced);
  Function* chain = state->retired.exchange(nullptr, std::memory_order_seq_cst);
  if (chain == nullptr) return;
  if (state->callers.load(std::memory_order_seq_cst) == 0) {
    while (chain != nullptr) delete std::exchange(chain, chain->next_retired);
  } else {
    retire(*state, chain);  // a scrape may be calling one of them: a later setter frees them
  }
}

void GaugeCell::retire(Functions& state, Function* chain) noexcept {
  Function* tail = chain;
  while (tail->next_retired != nullptr) tail = tail->next_retired;
  Function* head = state.retired.load(std::memory_order_relaxed);
  do {
    tail->next_retired = head;
  } while (!state.retired.compare_exchange_weak(head, chain, std::memory_order_seq_cst,
                                                std::memory_order_relaxed));
}

void GaugeCell::after_fork_in_child() noexcept {
  if (Functions* state = functions()) state->callers.store(0, std::memory_order_relaxed);
}

}  // namespace bentoml::metrics::detail
