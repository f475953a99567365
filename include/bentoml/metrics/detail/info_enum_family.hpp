// Internal: the storage of Info and Enum children. Not part of the API.
//
// An Enum child is the index of its current state in one atomic word. An Info child points to an
// immutable record of its info labels: info() publishes a new record with a release CAS and a
// scrape reads the current one with an acquire load, so neither locks. Replaced records stay
// linked (and are freed with the child): info is set once or rarely, as in prometheus_client.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

/// One value of an Info child: its label pairs, sorted by name.
struct InfoRecord {
  std::vector<std::pair<std::string, std::string>> labels;
  const InfoRecord* previous = nullptr;  ///< the record it replaced, freed with the child
};

struct InfoCell {
  InfoCell() = default;
  InfoCell(const InfoCell&) = delete;
  InfoCell& operator=(const InfoCell&) = delete;
  ~InfoCell();
  /// Publishes `record` (whose `previous` this sets).
  void publish(InfoRecord* record) noexcept;
  std::atomic<const InfoRecord*> current{nullptr};  ///< null: no info yet (no labels)
};

struct EnumCell {
  std::atomic<std::uint32_t> state{0};  ///< index into the family's states; the first at start
};

class InfoFamily final : public FamilyBase {
 public:
  explicit InfoFamily(FamilyIdentity identity) : FamilyBase(std::move(identity)) {}
  ~InfoFamily() override { destroy_children(); }
  static InfoCell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<InfoCell>*>(child)->cell;
  }
  /// Validates `labels` as info of this family (names valid, none twice, none a label name of
  /// the metric) and sorts them; throws metrics::Error.
  void check_info(std::vector<std::pair<std::string, std::string>>& labels) const;
  void write(ExpositionWriter& writer) const override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;
};

class EnumFamily final : public FamilyBase {
 public:
  /// Throws metrics::Error when `states` is empty, has a state twice, or a label is the name.
  EnumFamily(FamilyIdentity identity, std::vector<std::string> states);
  ~EnumFamily() override { destroy_children(); }
  static EnumCell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<EnumCell>*>(child)->cell;
  }
  /// The index of `state`; throws metrics::Error naming the metric if it is not a state.
  [[nodiscard]] std::uint32_t index_of(std::string_view state) const;
  [[nodiscard]] const std::vector<std::string>& states() const noexcept { return states_; }
  void write(ExpositionWriter& writer) const override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;

  std::vector<std::string> states_;
};

}  // namespace bentoml::metrics::detail
