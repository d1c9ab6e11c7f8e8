// Lifecycle state machines, loaded from YAML documents (config/lifecycles/).
//
// A Lifecycle describes one order type (standard, presale, service, b2b):
// its states, which of them are terminal, and the transitions between them.
// Each transition is fired by a named event (e.g. "ship"), may be fired only
// by the listed actors, has named guards that the engine evaluates against
// the order (e.g. "stock_reserved"), and named effects the engine performs
// when it fires (e.g. "consume_stock").
//
// Loading validates everything and refuses the document with the file and
// line of the first problem: an unknown state, a state unreachable from the
// initial state, a duplicate transition (same event from the same state), an
// unknown guard/effect/actor name, a missing field, a field of the wrong type.
//
// Lifecycles are immutable after loading and safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace orderhub::lifecycle {

using StateId = uint16_t;

// Guards and effects the engine knows how to evaluate / perform. A document
// naming anything else is refused at load.
inline constexpr std::string_view kKnownGuards[] = {
    "stock_reserved",   // every shippable line holds a reservation
    "paid",             // the order has been paid (or needs no payment)
};
inline constexpr std::string_view kKnownEffects[] = {
    "mark_paid",        // record payment; clears the reservation expiry
    "reserve_stock",    // (re)reserve stock for lines that hold none
    "release_stock",    // give reserved stock back to the pool
    "consume_stock",    // shipment: on hand and reserved both go down
};
inline constexpr std::string_view kKnownActors[] = {
    "system", "admin", "operations", "customer_service", "warehouse", "carrier",
    "partner", "channel", "finance",
};

struct Transition {
  std::string event;
  std::vector<StateId> from;
  StateId to = 0;
  bool to_previous = false;            // `to: "@previous"`: back to the state held from
  std::vector<std::string> actors;     // empty: any actor
  std::vector<std::string> guards;
  std::vector<std::string> effects;
  int line = 0;                        // 1-based line in the source document
};

class Lifecycle {
 public:
  const std::string& type() const { return type_; }
  StateId initial() const { return initial_; }
  size_t state_count() const { return states_.size(); }
  const std::string& state_name(StateId s) const { return states_[s].name; }
  bool is_terminal(StateId s) const { return states_[s].terminal; }
  // Unknown names give false.
  bool FindState(std::string_view name, StateId* out) const;
  // The transition fired by `event` from `from`, or nullptr when there is none.
  const Transition* Find(StateId from, std::string_view event) const;
  // Events that may be fired from `from` (for error messages and the API).
  std::vector<std::string> EventsFrom(StateId from) const;
  const std::vector<Transition>& transitions() const { return transitions_; }

 private:
  friend class LifecycleLoader;
  struct State {
    std::string name;
    bool terminal = false;
  };
  std::string type_;
  StateId initial_ = 0;
  std::vector<State> states_;
  std::vector<Transition> transitions_;
  // (from state, event) -> index into transitions_
  std::map<std::pair<StateId, std::string>, size_t> index_;
};

// Parses and validates one YAML document. `source_name` (a file path) is used
// in error messages: "config/lifecycles/standard.yaml:14: unknown state 'shiped'".
Result<std::shared_ptr<const Lifecycle>> ParseLifecycle(std::string_view yaml_text,
                                                        const std::string& source_name);
// Reads and parses one file.
Result<std::shared_ptr<const Lifecycle>> LoadLifecycleFile(const std::string& path);

// All lifecycles of a deployment, by order type.
class LifecycleSet {
 public:
  // Loads every *.yaml file in `dir`. Two files defining the same type is an error.
  static Result<LifecycleSet> LoadDirectory(const std::string& dir);
  void Add(std::shared_ptr<const Lifecycle> lc);
  const Lifecycle* Find(std::string_view type) const;  // nullptr when unknown
  std::vector<std::string> types() const;

 private:
  std::map<std::string, std::shared_ptr<const Lifecycle>, std::less<>> by_type_;
};

}  // namespace orderhub::lifecycle
