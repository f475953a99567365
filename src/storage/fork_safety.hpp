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

/// Process-wide state that must be quiesced across fork() besides registries and families (the
/// multiprocess files). before_fork() runs after every family's, so it may take a lock that is
/// taken inside a family's creation mutex; in the child, after_fork_in_child() runs after every
/// family's, before any other thread exists.
class ForkParticipant {
 public:
  virtual void before_fork() noexcept = 0;
  virtual void after_fork_in_parent() noexcept = 0;
  virtual void after_fork_in_child() noexcept = 0;

 protected:
  ForkParticipant() = default;
  ForkParticipant(const ForkParticipant&) = default;
  ForkParticipant& operator=(const ForkParticipant&) = default;
  ~ForkParticipant() = default;
};

/// Called by every family's and registry's constructor and destructor.
void track_for_fork(FamilyBase* family);
void untrack_for_fork(FamilyBase* family) noexcept;
void track_for_fork(Registry* registry);
void untrack_for_fork(Registry* registry) noexcept;
/// Adds a participant for the life of the process.
void track_for_fork(ForkParticipant* participant);

}  // namespace bentoml::metrics::detail
