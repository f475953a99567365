// Internal: keeping the library usable in a child process after fork().
//
// fork() copies the memory of every thread but keeps only the calling one. What the others were
// doing stays half done in the child forever: a mutex they held stays locked, an observation
// they had started never completes, a scrape they were running never clears its flag. The
// handlers installed here (pthread_atfork) make the child start from a clean state: before the
// fork they take every registry's and family's mutex and wait for scrapes of histograms in
// progress, so that no structure is mid-change when memory is copied; in the parent they release
// them; in the child they release them, let every family complete or drop what dead threads left in
// flight (FamilyBase::after_fork_in_child), and free the thread slots that dead threads held.
#pragma once

namespace bentoml::metrics {
class Registry;
}

namespace bentoml::metrics::detail {

class FamilyBase;

/// Called by every family's and registry's constructor and destructor.
void track_for_fork(FamilyBase* family);
void untrack_for_fork(FamilyBase* family) noexcept;
void track_for_fork(Registry* registry);
void untrack_for_fork(Registry* registry) noexcept;

}  // namespace bentoml::metrics::detail
