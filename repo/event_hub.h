// The repository's side of events (strata/events.h has the public one):
// which kind of event a ref move makes, and the subscribers of one
// Repository.
#pragma once

#include <memory>
#include <optional>

#include "repo/transaction.h"
#include "strata/events.h"

namespace strata {

// The kind of event a move of this cause makes; nullopt for kInternal.
std::optional<EventKind> EventKindOf(RefCause cause);

// The subscribers of one repository (Boost.Signals2 behind it).
class EventHub {
 public:
  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  EventConnection Subscribe(EventFilter filter, EventHandler handler);
  // Cheap: whether anyone is connected (no event is built otherwise).
  bool empty() const;
  // Calls each subscriber in order with the event as its filter sees it. A
  // handler that throws is reported (through `report`, if set) and the next
  // one runs; nothing propagates.
  void Deliver(const Event& event, const EventReporter& report) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
