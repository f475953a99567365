// Internal: allocation on the recording path (counter stripes, histogram shards). Out of memory
// is reported by a null result and the caller carries on without the extra storage: recording
// never throws.
#pragma once

#include <cstddef>
#include <new>

namespace bentoml::metrics::detail {

inline void* allocate_or_null(std::size_t size, std::size_t alignment) noexcept {
  return ::operator new (size, std::align_val_t{alignment}, std::nothrow);
}

inline void free_allocated(void* memory, std::size_t alignment) noexcept {
  if (memory != nullptr) ::operator delete (memory, std::align_val_t{alignment});
}

}  // namespace bentoml::metrics::detail
