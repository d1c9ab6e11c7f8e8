#include "lifecycle/lifecycle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace orderhub::lifecycle {
namespace {

const std::string kConfigDir = std::string(OH_SOURCE_DIR) + "/config/lifecycles";
const char* const kShippedFiles[] = {"standard.yaml", "presale.yaml", "service.yaml", "b2b.yaml"};

// Parses `yaml` as "x.yaml" and expects it refused with a message naming the
// given line ("x.yaml:7:") and containing `name`.
::testing::AssertionResult RefusedAt(std::string_view yaml, int line, const std::string& name) {
  const Result<std::shared_ptr<const Lifecycle>> r = ParseLifecycle(yaml, "x.yaml");
  if (r.ok()) return ::testing::AssertionFailure() << "document was accepted";
  const Status& st = r.status();
  const std::string where = "x.yaml:" + std::to_string(line) + ":";
  if (st.code() != Code::kInvalidArgument || st.reason() != "invalid_lifecycle" ||
      st.message().find(where) == std::string::npos || st.message().find(name) == std::string::npos) {
    return ::testing::AssertionFailure() << "wanted invalid_lifecycle with '" << where << "' and '" << name << "', got "
                                         << st.ToString();
  }
  return ::testing::AssertionSuccess();
}

std::shared_ptr<const Lifecycle> LoadShipped(const std::string& file) {
  Result<std::shared_ptr<const Lifecycle>> r = LoadLifecycleFile(kConfigDir + "/" + file);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

StateId State(const Lifecycle& lc, std::string_view name) {
  StateId s = 0;
  EXPECT_TRUE(lc.FindState(name, &s)) << name;
  return s;
}

// Follows `event` from `*state`, which must lead to `expect_to`.
void Fire(const Lifecycle& lc, StateId* state, std::string_view event, std::string_view expect_to) {
  const Transition* t = lc.Find(*state, event);
  ASSERT_NE(t, nullptr) << event << " from " << lc.state_name(*state);
  ASSERT_FALSE(t->to_previous);
  EXPECT_EQ(lc.state_name(t->to), expect_to);
  *state = t->to;
}

bool Has(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A scratch directory, removed when the test ends.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) / (name + "." + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& file, std::string_view text) const {
    const std::string p = (path_ / file).string();
    std::ofstream(p) << text;
    return p;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

constexpr std::string_view kMinimal = R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b}
)";

// --- The shipped documents -------------------------------------------------

TEST(ShippedLifecycles, EachFileLoads) {
  for (const char* file : kShippedFiles) {
    SCOPED_TRACE(file);
    const std::shared_ptr<const Lifecycle> lc = LoadShipped(file);
    ASSERT_NE(lc, nullptr);
    EXPECT_EQ(lc->type() + ".yaml", file);
  }
}

TEST(ShippedLifecycles, DirectoryLoadsAllFourTypes) {
  const Result<LifecycleSet> set = LifecycleSet::LoadDirectory(kConfigDir);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->types(), (std::vector<std::string>{"b2b", "presale", "service", "standard"}));
  ASSERT_NE(set->Find("standard"), nullptr);
  EXPECT_EQ(set->Find("standard")->type(), "standard");
  EXPECT_EQ(set->Find("wholesale"), nullptr);
}

TEST(ShippedLifecycles, AdminMayFireEveryTransition) {
  for (const char* file : kShippedFiles) {
    const std::shared_ptr<const Lifecycle> lc = LoadShipped(file);
    ASSERT_NE(lc, nullptr);
    for (const Transition& t : lc->transitions()) {
      EXPECT_TRUE(Has(t.actors, "admin")) << file << ":" << t.line << " " << t.event;
    }
  }
}

TEST(ShippedLifecycles, StandardHappyPathWalksToClosed) {
  const std::shared_ptr<const Lifecycle> lc = LoadShipped("standard.yaml");
  ASSERT_NE(lc, nullptr);
  StateId s = lc->initial();
  EXPECT_EQ(lc->state_name(s), "created");
  Fire(*lc, &s, "confirm", "confirmed");
  EXPECT_EQ(lc->Find(State(*lc, "created"), "confirm")->effects, std::vector<std::string>{"mark_paid"});
  Fire(*lc, &s, "allocate", "allocated");
  const Transition* allocate = lc->Find(State(*lc, "confirmed"), "allocate");
  EXPECT_EQ(allocate->effects, std::vector<std::string>{"reserve_stock"});
  EXPECT_EQ(allocate->guards, std::vector<std::string>{"stock_reserved"});
  Fire(*lc, &s, "release_to_warehouse", "released");
  EXPECT_TRUE(Has(lc->Find(s, "pick")->actors, "warehouse"));
  Fire(*lc, &s, "pick", "picked");
  Fire(*lc, &s, "ship", "shipped");
  EXPECT_EQ(lc->Find(State(*lc, "picked"), "ship")->effects, std::vector<std::string>{"consume_stock"});
  Fire(*lc, &s, "deliver", "delivered");
  EXPECT_TRUE(Has(lc->Find(State(*lc, "shipped"), "deliver")->actors, "carrier"));
  Fire(*lc, &s, "close", "closed");
  EXPECT_TRUE(lc->is_terminal(s));
  EXPECT_TRUE(lc->EventsFrom(s).empty());
}

TEST(ShippedLifecycles, CancelRefusedOncePicked) {
  for (const char* file : {"standard.yaml", "presale.yaml", "b2b.yaml"}) {
    SCOPED_TRACE(file);
    const std::shared_ptr<const Lifecycle> lc = LoadShipped(file);
    ASSERT_NE(lc, nullptr);
    for (const char* state : {"picked", "shipped", "delivered"}) {
      EXPECT_EQ(lc->Find(State(*lc, state), "cancel"), nullptr) << state;
    }
    for (const char* state : {"created", "confirmed", "allocated", "released", "on_hold"}) {
      const Transition* t = lc->Find(State(*lc, state), "cancel");
      ASSERT_NE(t, nullptr) << state;
      EXPECT_EQ(lc->state_name(t->to), "cancelled");
      EXPECT_EQ(t->effects, std::vector<std::string>{"release_stock"});
    }
  }
}

TEST(ShippedLifecycles, ResumeReturnsToPreviousState) {
  const std::shared_ptr<const Lifecycle> lc = LoadShipped("standard.yaml");
  ASSERT_NE(lc, nullptr);
  const StateId on_hold = State(*lc, "on_hold");
  for (const char* state : {"confirmed", "allocated", "released"}) {
    const Transition* hold = lc->Find(State(*lc, state), "hold");
    ASSERT_NE(hold, nullptr) << state;
    EXPECT_EQ(hold->to, on_hold);
  }
  EXPECT_EQ(lc->Find(State(*lc, "picked"), "hold"), nullptr);
  const Transition* resume = lc->Find(on_hold, "resume");
  ASSERT_NE(resume, nullptr);
  EXPECT_TRUE(resume->to_previous);
  EXPECT_EQ(lc->EventsFrom(on_hold), (std::vector<std::string>{"cancel", "resume"}));
}

TEST(ShippedLifecycles, PresalePaysBalanceBeforeJoiningStandardFlow) {
  const std::shared_ptr<const Lifecycle> lc = LoadShipped("presale.yaml");
  ASSERT_NE(lc, nullptr);
  StateId s = lc->initial();
  Fire(*lc, &s, "pay_deposit", "deposit_paid");
  EXPECT_EQ(lc->Find(s, "confirm"), nullptr);
  Fire(*lc, &s, "request_balance", "balance_due");
  Fire(*lc, &s, "pay_balance", "balance_paid");
  Fire(*lc, &s, "confirm", "confirmed");
  Fire(*lc, &s, "allocate", "allocated");
  Fire(*lc, &s, "release_to_warehouse", "released");
  Fire(*lc, &s, "pick", "picked");
  Fire(*lc, &s, "ship", "shipped");
  Fire(*lc, &s, "deliver", "delivered");
  Fire(*lc, &s, "close", "closed");
}

TEST(ShippedLifecycles, ServiceCannotBeCancelledOnceStarted) {
  const std::shared_ptr<const Lifecycle> lc = LoadShipped("service.yaml");
  ASSERT_NE(lc, nullptr);
  StateId s = lc->initial();
  EXPECT_EQ(lc->state_name(s), "booked");
  EXPECT_NE(lc->Find(s, "cancel"), nullptr);
  Fire(*lc, &s, "confirm", "confirmed");
  EXPECT_NE(lc->Find(s, "cancel"), nullptr);
  Fire(*lc, &s, "start_service", "in_service");
  EXPECT_TRUE(Has(lc->Find(State(*lc, "confirmed"), "start_service")->actors, "partner"));
  EXPECT_EQ(lc->Find(s, "cancel"), nullptr);
  Fire(*lc, &s, "complete_service", "completed");
  Fire(*lc, &s, "follow_up", "follow_up");
  Fire(*lc, &s, "close", "closed");
}

TEST(ShippedLifecycles, B2bNeedsCreditApprovalByAPerson) {
  const std::shared_ptr<const Lifecycle> lc = LoadShipped("b2b.yaml");
  ASSERT_NE(lc, nullptr);
  StateId s = lc->initial();
  Fire(*lc, &s, "submit_for_review", "credit_review");
  const Transition* reject = lc->Find(s, "reject_credit");
  ASSERT_NE(reject, nullptr);
  EXPECT_TRUE(lc->is_terminal(reject->to));
  EXPECT_EQ(lc->state_name(reject->to), "rejected");
  EXPECT_FALSE(Has(lc->Find(s, "approve_credit")->actors, "system"));
  Fire(*lc, &s, "approve_credit", "confirmed");
  Fire(*lc, &s, "allocate", "allocated");
}

// --- Parsing ---------------------------------------------------------------

TEST(ParseLifecycle, MinimalDocumentLoads) {
  const Result<std::shared_ptr<const Lifecycle>> r = ParseLifecycle(kMinimal, "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Lifecycle& lc = **r;
  EXPECT_EQ(lc.type(), "t");
  EXPECT_EQ(lc.state_count(), 2u);
  EXPECT_EQ(lc.state_name(lc.initial()), "a");
  const Transition* t = lc.Find(lc.initial(), "go");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->line, 7);
  EXPECT_TRUE(t->actors.empty());  // omitted: any actor
  EXPECT_EQ(lc.Find(lc.initial(), "stop"), nullptr);
  StateId unused;
  EXPECT_FALSE(lc.FindState("zzz", &unused));
}

TEST(ParseLifecycle, FromAcceptsAListOfStates) {
  const Result<std::shared_ptr<const Lifecycle>> r = ParseLifecycle(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b}
  - {name: c, terminal: true}
transitions:
  - {event: next, from: a, to: b}
  - {event: stop, from: [a, b], to: c}
)",
                                                                    "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Lifecycle& lc = **r;
  EXPECT_EQ(lc.EventsFrom(0), (std::vector<std::string>{"next", "stop"}));
  EXPECT_EQ(lc.EventsFrom(1), std::vector<std::string>{"stop"});
  EXPECT_EQ(lc.Find(0, "stop"), lc.Find(1, "stop"));
}

TEST(ParseLifecycle, PreviousAsTargetSetsToPrevious) {
  const Result<std::shared_ptr<const Lifecycle>> r = ParseLifecycle(R"(type: t
initial: a
states:
  - {name: a}
  - {name: paused}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b}
  - {event: pause, from: a, to: paused}
  - {event: resume, from: paused, to: "@previous"}
)",
                                                                    "x.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Transition* t = (*r)->Find(1, "resume");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->to_previous);
}

TEST(ParseLifecycle, RefusesMalformedYaml) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states: [{name: a}
transitions: []
)",
                        4, "end of sequence flow not found"));
}

TEST(ParseLifecycle, RefusesEmptyOrMultipleDocuments) {
  EXPECT_TRUE(RefusedAt("", 1, "empty document"));
  // Named at the separator that starts the second document.
  EXPECT_TRUE(RefusedAt(std::string(kMinimal) + "---\ntype: u\n", 8, "expected one YAML document"));
  // yaml-cpp 0.7 alone would loop forever on this (found by the fuzzer).
  EXPECT_TRUE(RefusedAt(", S=andard retail order: paid before# S confirm", 1, ""));
  EXPECT_TRUE(RefusedAt("- a\n- b\n", 1, "must be a mapping"));
}

TEST(ParseLifecycle, RefusesMissingField) {
  EXPECT_TRUE(RefusedAt(R"(type: t
states:
  - {name: a}
transitions: []
)",
                        1, "missing field 'initial'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, to: b}
)",
                        7, "missing field 'from'"));
}

TEST(ParseLifecycle, RefusesWronglyTypedField) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states: a
transitions: []
)",
                        3, "'states' must be a list"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial:
states:
  - {name: a, terminal: true}
transitions: []
)",
                        2, "'initial' must be a string"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: "true"}
transitions:
  - {event: go, from: a, to: b}
)",
                        5, "'terminal' must be true or false"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: {a: 1}, to: b}
)",
                        7, "'from' must be a state name or a list"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, actors: admin}
)",
                        7, "'actors' must be a list"));
}

TEST(ParseLifecycle, RefusesUnknownKey) {
  EXPECT_TRUE(RefusedAt(R"(type: t
inital: a
states: []
transitions: []
)",
                        2, "unknown key 'inital'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, guard: [paid]}
)",
                        7, "unknown key 'guard'"));
}

TEST(ParseLifecycle, RefusesRepeatedKey) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, to: a}
)",
                        7, "duplicate key 'to'"));
}

TEST(ParseLifecycle, RefusesDuplicateStateName) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
  - {name: a}
transitions:
  - {event: go, from: a, to: b}
)",
                        6, "duplicate state 'a' (first defined at line 4)"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: "@previous"}
transitions: []
)",
                        5, "'@previous' is reserved"));
}

TEST(ParseLifecycle, RefusesUnknownState) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: creatd
states:
  - {name: created}
transitions: []
)",
                        2, "unknown state 'creatd' in 'initial'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b}
  - {event: stop,
     from: [a,
            z],
     to: b}
)",
                        10, "unknown state 'z' in 'from'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: shipped, terminal: true}
transitions:
  - {event: ship, from: a, to: shiped}
)",
                        7, "unknown state 'shiped' in 'to'"));
}

TEST(ParseLifecycle, RefusesDuplicateTransition) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b}
  - {name: c, terminal: true}
transitions:
  - {event: go, from: a, to: b}
  - {event: go, from: b, to: c}
  - {event: go, from: [b, a], to: c}
)",
                        10, "event 'go' from state 'b' already defined at line 9"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: [a, a], to: b}
)",
                        7, "state 'a' is listed twice"));
}

TEST(ParseLifecycle, RefusesUnknownGuard) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, guards: [stock_reservd]}
)",
                        7, "unknown guard 'stock_reservd'"));
}

TEST(ParseLifecycle, RefusesUnknownEffect) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - event: go
    from: a
    to: b
    effects:
      - mark_paid
      - refund
)",
                        12, "unknown effect 'refund'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, effects: [release_stock, release_stock]}
)",
                        7, "duplicate effect 'release_stock'"));
}

TEST(ParseLifecycle, RefusesUnknownOrEmptyActors) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, actors: [admin, courier]}
)",
                        7, "unknown actor 'courier'"));
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b, actors: []}
)",
                        7, "actors list is empty"));
}

TEST(ParseLifecycle, RefusesUnreachableState) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: lost}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b}
  - {event: found, from: lost, to: b}
)",
                        5, "state 'lost' is unreachable from initial state 'a'"));
}

TEST(ParseLifecycle, PreviousDoesNotMakeAStateReachable) {
  // `back` can only return to `a`, so `c` is never entered. `c` comes first
  // to hold StateId 0, which is what `to` of a "@previous" transition reads.
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: c}
  - {name: a}
  - {name: p}
  - {name: b, terminal: true}
transitions:
  - {event: pause, from: a, to: p}
  - {event: back, from: p, to: "@previous"}
  - {event: go, from: [a, c], to: b}
)",
                        4, "state 'c' is unreachable"));
}

TEST(ParseLifecycle, RefusesTerminalStateWithOutgoingTransition) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: closed, terminal: true}
transitions:
  - {event: close, from: a, to: closed}
  - {event: reopen, from: closed, to: a}
)",
                        8, "terminal state 'closed' has an outgoing transition 'reopen'"));
}

TEST(ParseLifecycle, RefusesDeadEndState) {
  EXPECT_TRUE(RefusedAt(R"(type: t
initial: a
states:
  - {name: a}
  - {name: stuck}
  - {name: b, terminal: true}
transitions:
  - {event: go, from: a, to: b}
  - {event: wedge, from: a, to: stuck}
)",
                        5, "state 'stuck' is a dead end"));
}

// --- Files and directories ---------------------------------------------------

TEST(LoadLifecycleFile, MissingFileIsIOErrorNamingThePath) {
  const std::string path = kConfigDir + "/no_such_type.yaml";
  const Result<std::shared_ptr<const Lifecycle>> r = LoadLifecycleFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().ToString();
}

TEST(LoadLifecycleFile, DirectoryIsIOError) {
  const Result<std::shared_ptr<const Lifecycle>> r = LoadLifecycleFile(kConfigDir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIOError);
}

TEST(LoadLifecycleFile, ErrorsNameTheFile) {
  const TempDir dir("lifecycle_errors_name_file");
  const std::string path = dir.Write("bad.yaml", "type: t\ninitial: a\nstates: []\ntransitions: []\n");
  const Result<std::shared_ptr<const Lifecycle>> r = LoadLifecycleFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path + ":2: unknown state 'a'"), std::string::npos) << r.status().ToString();
}

TEST(LoadDirectory, RefusesTypeDefinedTwiceNamingBothFiles) {
  const TempDir dir("lifecycle_duplicate_type");
  const std::string first = dir.Write("a.yaml", kMinimal);
  const std::string second = dir.Write("b.yaml", kMinimal);
  const Result<LifecycleSet> set = LifecycleSet::LoadDirectory(dir.path());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().reason(), "invalid_lifecycle");
  EXPECT_NE(set.status().message().find("'t' is defined in both " + first + " and " + second), std::string::npos)
      << set.status().ToString();
}

TEST(LoadDirectory, ReadsOnlyYamlFiles) {
  const TempDir dir("lifecycle_only_yaml");
  dir.Write("t.yaml", kMinimal);
  dir.Write("notes.txt", "not yaml: [");
  dir.Write("t.yaml.bak", "not yaml: [");
  const Result<LifecycleSet> set = LifecycleSet::LoadDirectory(dir.path());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->types(), std::vector<std::string>{"t"});
}

TEST(LoadDirectory, RefusesDirectoryWithoutLifecycles) {
  const TempDir dir("lifecycle_empty_dir");
  const Result<LifecycleSet> set = LifecycleSet::LoadDirectory(dir.path());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().reason(), "invalid_lifecycle");
}

TEST(LoadDirectory, MissingDirectoryIsIOErrorNamingThePath) {
  const std::string path = kConfigDir + "/no_such_dir";
  const Result<LifecycleSet> set = LifecycleSet::LoadDirectory(path);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Code::kIOError);
  EXPECT_NE(set.status().message().find(path), std::string::npos) << set.status().ToString();
}

}  // namespace
}  // namespace orderhub::lifecycle
