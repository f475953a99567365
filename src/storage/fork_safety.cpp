// fork() handlers; see fork_safety.hpp.
#include "storage/fork_safety.hpp"

#include <pthread.h>

#include <mutex>
#include <unordered_set>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/detail/thread_slot.hpp"
#include "bentoml/metrics/registry.hpp"
#include "storage/registry_access.hpp"

namespace bentoml::metrics::detail {
namespace {

struct Tracked {
  std::mutex mutex;  ///< guards the sets; held from before a fork until after it
  std::unordered_set<FamilyBase*> families;
  std::unordered_set<Registry*> registries;
  std::vector<ForkParticipant*> participants;
};

/// Never destroyed: families in static objects may be destroyed after any other static.
Tracked& tracked() {
  static Tracked* const instance = new Tracked();
  return *instance;
}

// Lock order: the set's mutex, then registries', then families' creation mutexes, then what
// families wait for (a histogram family's scrape in progress, a multiprocess collector's
// aggregation), then the participants' locks (the multiprocess files' mutex, taken inside a
// family's creation mutex when a child is created). No code path takes them in another order:
// a family's creation mutex is never held while registering, registration never holds a
// family's mutex, and a scrape holds none of them. (glibc takes malloc's locks after
// these handlers, so a scrape that allocates can still finish.)
void before_fork() {
  Tracked& all = tracked();
  all.mutex.lock();
  for (Registry* registry : all.registries) RegistryAccess::registration_mutex(*registry).lock();
  for (FamilyBase* family : all.families) family->creation_mutex().lock();
  for (FamilyBase* family : all.families) family->before_fork();
  for (ForkParticipant* participant : all.participants) participant->before_fork();
}

void release_all(Tracked& all) {
  for (FamilyBase* family : all.families) family->creation_mutex().unlock();
  for (Registry* registry : all.registries) RegistryAccess::registration_mutex(*registry).unlock();
}

void after_fork_in_parent() {
  Tracked& all = tracked();
  for (ForkParticipant* participant : all.participants) participant->after_fork_in_parent();
  for (FamilyBase* family : all.families) family->after_fork_in_parent();
  release_all(all);
  all.mutex.unlock();
}

void after_fork_in_child() {
  Tracked& all = tracked();
  release_all(all);
  for (FamilyBase* family : all.families) family->after_fork_in_child();
  for (ForkParticipant* participant : all.participants) participant->after_fork_in_child();
  release_thread_slots_after_fork();
  all.mutex.unlock();
}

void install_handlers_once() {
  static std::once_flag installed;
  std::call_once(installed,
                 [] { pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child); });
}

// One way of tracking for every kind of object: its container in Tracked, under the mutex.
std::unordered_set<FamilyBase*>& tracked_of(Tracked& all, FamilyBase* /*kind*/) {
  return all.families;
}
std::unordered_set<Registry*>& tracked_of(Tracked& all, Registry* /*kind*/) {
  return all.registries;
}

template <class Object>
void track(Object* object) {
  install_handlers_once();
  Tracked& all = tracked();
  std::lock_guard<std::mutex> lock(all.mutex);
  tracked_of(all, object).insert(object);
}

template <class Object>
void untrack(Object* object) noexcept {
  Tracked& all = tracked();
  std::lock_guard<std::mutex> lock(all.mutex);
  tracked_of(all, object).erase(object);
}

}  // namespace

void track_for_fork(FamilyBase* family) { track(family); }
void untrack_for_fork(FamilyBase* family) noexcept { untrack(family); }
void track_for_fork(Registry* registry) { track(registry); }
void untrack_for_fork(Registry* registry) noexcept { untrack(registry); }

void track_for_fork(ForkParticipant* participant) {
  install_handlers_once();
  Tracked& all = tracked();
  std::lock_guard<std::mutex> lock(all.mutex);
  all.participants.push_back(participant);
}

}  // namespace bentoml::metrics::detail
