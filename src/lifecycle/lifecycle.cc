#include "lifecycle/lifecycle.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>

namespace orderhub::lifecycle {

namespace {

constexpr std::string_view kPrevious = "@previous";
constexpr std::string_view kTopKeys[] = {"type", "initial", "states", "transitions"};
constexpr std::string_view kStateKeys[] = {"name", "terminal"};
constexpr std::string_view kTransitionKeys[] = {"event", "from", "to", "actors", "guards", "effects"};

// A key of a mapping and its value; errors about a value point at the key's
// line because yaml-cpp marks an empty (null) value at the following token.
struct Field {
  YAML::Node key;
  YAML::Node value;
};
using Fields = std::map<std::string, Field, std::less<>>;

int LineOf(const YAML::Mark& mark) {
  // Whole-document problems (an empty file) carry no position; blame line 1.
  return std::max(mark.line, 0) + 1;
}

std::string Join(std::span<const std::string_view> names) {
  std::string s;
  for (std::string_view n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

bool Contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

// Builds one Lifecycle; a friend of Lifecycle so that the finished object can
// stay immutable to everyone else.
class LifecycleLoader {
 public:
  explicit LifecycleLoader(const std::string& source) : source_(source) {}

  Result<std::shared_ptr<const Lifecycle>> Load(std::string_view text) {
    try {
      return LoadOrThrow(text);
    } catch (const YAML::Exception& e) {
      return Error(e.mark, e.msg);
    }
  }

 private:
  // A state name with the line that mentioned it, before it is resolved.
  struct NameRef {
    std::string name;
    int line = 0;
  };

  // Counts documents without building them.
  struct DocumentCounter : YAML::EventHandler {
    int started = 0;
    YAML::Mark second;  // where the second document starts
    void OnDocumentStart(const YAML::Mark& m) override {
      if (++started == 2) second = m;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };

  Result<std::shared_ptr<const Lifecycle>> LoadOrThrow(std::string_view text) {
    // At most two documents are looked at: yaml-cpp 0.7's LoadAll never
    // ends on some broken input (a leading ",": yaml-cpp #1040, found by
    // tests/fuzz/lifecycle_yaml_fuzz), yielding empty documents forever.
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentCounter counter;
    int docs = 0;
    while (docs < 2 && parser.HandleNextDocument(counter)) ++docs;
    if (docs == 0) return Error(1, "empty document");
    if (docs > 1) return Error(counter.second, "expected one YAML document, found more");
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return Error(root.Mark(), "document must be a mapping");

    Fields top;
    OH_RETURN_IF_ERROR(ReadFields(root, kTopKeys, &top));
    OH_RETURN_IF_ERROR(RequireString(root, top, "type", &lc_->type_));
    NameRef initial;
    OH_RETURN_IF_ERROR(RequireName(root, top, "initial", &initial));
    OH_RETURN_IF_ERROR(ParseStates(root, top));
    OH_RETURN_IF_ERROR(ResolveState(initial, "initial", &lc_->initial_));
    OH_RETURN_IF_ERROR(ParseTransitions(root, top));
    OH_RETURN_IF_ERROR(CheckGraph());
    return std::shared_ptr<const Lifecycle>(std::move(lc_));
  }

  Status ParseStates(const YAML::Node& root, const Fields& top) {
    YAML::Node states;
    OH_RETURN_IF_ERROR(RequireSequence(root, top, "states", &states));
    if (states.size() > size_t{std::numeric_limits<StateId>::max()} + 1) {
      return Error(states.Mark(), "too many states (" + std::to_string(states.size()) + ")");
    }
    for (const YAML::Node& node : states) {
      if (!node.IsMap()) return Error(node.Mark(), "a state must be a mapping like {name: created}");
      Fields f;
      OH_RETURN_IF_ERROR(ReadFields(node, kStateKeys, &f));
      Lifecycle::State state;
      OH_RETURN_IF_ERROR(RequireString(node, f, "name", &state.name));
      const int line = LineOf(node.Mark());
      if (state.name == kPrevious) return Error(line, "'@previous' is reserved and cannot name a state");
      StateId existing;
      if (lc_->FindState(state.name, &existing)) {
        return Error(line, "duplicate state '" + state.name + "' (first defined at line " +
                               std::to_string(state_lines_[existing]) + ")");
      }
      OH_RETURN_IF_ERROR(OptionalBool(f, "terminal", &state.terminal));
      lc_->states_.push_back(std::move(state));
      state_lines_.push_back(line);
    }
    return Status::OK();
  }

  Status ParseTransitions(const YAML::Node& root, const Fields& top) {
    YAML::Node transitions;
    OH_RETURN_IF_ERROR(RequireSequence(root, top, "transitions", &transitions));
    for (const YAML::Node& node : transitions) {
      if (!node.IsMap()) {
        return Error(node.Mark(), "a transition must be a mapping like {event: confirm, from: created, to: confirmed}");
      }
      Fields f;
      OH_RETURN_IF_ERROR(ReadFields(node, kTransitionKeys, &f));
      Transition t;
      t.line = LineOf(node.Mark());
      OH_RETURN_IF_ERROR(RequireString(node, f, "event", &t.event));

      std::vector<NameRef> from;
      OH_RETURN_IF_ERROR(StringOrList(node, f, "from", &from));
      for (const NameRef& ref : from) {
        StateId s;
        OH_RETURN_IF_ERROR(ResolveState(ref, "from", &s));
        t.from.push_back(s);
      }

      NameRef to;
      OH_RETURN_IF_ERROR(RequireName(node, f, "to", &to));
      if (to.name == kPrevious) {
        t.to_previous = true;
      } else {
        OH_RETURN_IF_ERROR(ResolveState(to, "to", &t.to));
      }

      OH_RETURN_IF_ERROR(OptionalNameList(f, "actors", "actor", kKnownActors, &t.actors));
      // Omitting actors means "any actor"; an empty list reads as "nobody",
      // so refuse it rather than silently open the transition to everyone.
      if (const auto it = f.find("actors"); it != f.end() && t.actors.empty()) {
        return Error(it->second.key.Mark(), "actors list is empty; omit the field to allow any actor");
      }
      OH_RETURN_IF_ERROR(OptionalNameList(f, "guards", "guard", kKnownGuards, &t.guards));
      OH_RETURN_IF_ERROR(OptionalNameList(f, "effects", "effect", kKnownEffects, &t.effects));

      const size_t index = lc_->transitions_.size();
      for (StateId s : t.from) {
        const auto [it, inserted] = lc_->index_.emplace(std::make_pair(s, t.event), index);
        if (!inserted && it->second == index) {
          return Error(t.line, "state '" + lc_->state_name(s) + "' is listed twice in 'from'");
        }
        if (!inserted) {
          return Error(t.line, "duplicate transition: event '" + t.event + "' from state '" + lc_->state_name(s) +
                                   "' already defined at line " + std::to_string(lc_->transitions_[it->second].line));
        }
      }
      lc_->transitions_.push_back(std::move(t));
    }
    return Status::OK();
  }

  Status CheckGraph() const {
    const Lifecycle& lc = *lc_;
    for (const Transition& t : lc.transitions_) {
      for (StateId s : t.from) {
        if (lc.is_terminal(s)) {
          return Error(t.line,
                       "terminal state '" + lc.state_name(s) + "' has an outgoing transition '" + t.event + "'");
        }
      }
    }
    for (StateId s = 0; s < lc.state_count(); ++s) {
      if (!lc.is_terminal(s) && lc.EventsFrom(s).empty()) {
        return Error(state_lines_[s],
                     "state '" + lc.state_name(s) + "' is a dead end: not terminal and no transition leaves it");
      }
    }
    // "@previous" only returns to a state the order has already been in, so
    // it can never make a new state reachable.
    std::vector<bool> reached(lc.state_count(), false);
    std::vector<StateId> pending = {lc.initial_};
    reached[lc.initial_] = true;
    while (!pending.empty()) {
      const StateId s = pending.back();
      pending.pop_back();
      for (const Transition& t : lc.transitions_) {
        if (t.to_previous || reached[t.to]) continue;
        if (std::find(t.from.begin(), t.from.end(), s) == t.from.end()) continue;
        reached[t.to] = true;
        pending.push_back(t.to);
      }
    }
    for (StateId s = 0; s < lc.state_count(); ++s) {
      if (!reached[s]) {
        return Error(state_lines_[s], "state '" + lc.state_name(s) + "' is unreachable from initial state '" +
                                          lc.state_name(lc.initial_) + "'");
      }
    }
    return Status::OK();
  }

  // Collects the keys of `map`, refusing unknown and repeated ones: yaml-cpp
  // keeps both copies of a repeated key and lookups would see only the first.
  Status ReadFields(const YAML::Node& map, std::span<const std::string_view> allowed, Fields* out) const {
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) return Error(kv.first.Mark(), "keys must be plain strings");
      const std::string& key = kv.first.Scalar();
      if (!Contains(allowed, key)) {
        return Error(kv.first.Mark(), "unknown key '" + key + "' (expected one of: " + Join(allowed) + ")");
      }
      if (!out->emplace(key, Field{kv.first, kv.second}).second) {
        return Error(kv.first.Mark(), "duplicate key '" + key + "'");
      }
    }
    return Status::OK();
  }

  // Finds a field that must be present; a missing one is blamed on the
  // mapping that lacks it.
  Status Require(const YAML::Node& parent, const Fields& f, std::string_view name, const Field** out) const {
    const auto it = f.find(name);
    if (it == f.end()) return Error(parent.Mark(), "missing field '" + std::string(name) + "'");
    *out = &it->second;
    return Status::OK();
  }

  Status RequireString(const YAML::Node& parent, const Fields& f, std::string_view name, std::string* out) const {
    const Field* field = nullptr;
    OH_RETURN_IF_ERROR(Require(parent, f, name, &field));
    return ScalarString(*field, name, out);
  }

  Status RequireName(const YAML::Node& parent, const Fields& f, std::string_view name, NameRef* out) const {
    OH_RETURN_IF_ERROR(RequireString(parent, f, name, &out->name));
    out->line = LineOf(f.find(name)->second.key.Mark());
    return Status::OK();
  }

  Status ScalarString(const Field& field, std::string_view name, std::string* out) const {
    if (!field.value.IsScalar()) return Error(field.key.Mark(), "field '" + std::string(name) + "' must be a string");
    *out = field.value.Scalar();
    if (out->empty()) return Error(field.key.Mark(), "field '" + std::string(name) + "' must not be empty");
    return Status::OK();
  }

  Status RequireSequence(const YAML::Node& parent, const Fields& f, std::string_view name, YAML::Node* out) const {
    const Field* field;
    OH_RETURN_IF_ERROR(Require(parent, f, name, &field));
    if (!field->value.IsSequence()) {
      return Error(field->key.Mark(), "field '" + std::string(name) + "' must be a list");
    }
    *out = field->value;
    return Status::OK();
  }

  Status OptionalBool(const Fields& f, std::string_view name, bool* out) const {
    const auto it = f.find(name);
    if (it == f.end()) return Status::OK();
    const YAML::Node& v = it->second.value;
    // A quoted "true" is a string in YAML; accepting it would hide a typo'd type.
    if (!v.IsScalar() || v.Tag() == "!" || !YAML::convert<bool>::decode(v, *out)) {
      return Error(it->second.key.Mark(), "field '" + std::string(name) + "' must be true or false");
    }
    return Status::OK();
  }

  // `from: created` and `from: [created, confirmed]` are both accepted.
  Status StringOrList(const YAML::Node& parent, const Fields& f, std::string_view name,
                      std::vector<NameRef>* out) const {
    const Field* field;
    OH_RETURN_IF_ERROR(Require(parent, f, name, &field));
    if (field->value.IsScalar()) {
      std::string s;
      OH_RETURN_IF_ERROR(ScalarString(*field, name, &s));
      out->push_back({std::move(s), LineOf(field->key.Mark())});
      return Status::OK();
    }
    if (!field->value.IsSequence()) {
      return Error(field->key.Mark(), "field '" + std::string(name) + "' must be a state name or a list of them");
    }
    if (field->value.size() == 0) {
      return Error(field->key.Mark(), "field '" + std::string(name) + "' must name at least one state");
    }
    for (const YAML::Node& item : field->value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        return Error(item.Mark(), "field '" + std::string(name) + "' must list state names");
      }
      out->push_back({item.Scalar(), LineOf(item.Mark())});
    }
    return Status::OK();
  }

  // A list of names drawn from `known` (actors, guards, effects). A repeated
  // name is refused: a repeated effect would run twice.
  Status OptionalNameList(const Fields& f, std::string_view name, std::string_view kind,
                          std::span<const std::string_view> known, std::vector<std::string>* out) const {
    const auto it = f.find(name);
    if (it == f.end()) return Status::OK();
    const YAML::Node& list = it->second.value;
    if (!list.IsSequence()) return Error(it->second.key.Mark(), "field '" + std::string(name) + "' must be a list");
    for (const YAML::Node& item : list) {
      if (!item.IsScalar()) return Error(item.Mark(), "field '" + std::string(name) + "' must list names");
      const std::string& value = item.Scalar();
      if (!Contains(known, value)) {
        return Error(item.Mark(), "unknown " + std::string(kind) + " '" + value + "' (known: " + Join(known) + ")");
      }
      if (std::find(out->begin(), out->end(), value) != out->end()) {
        return Error(item.Mark(), "duplicate " + std::string(kind) + " '" + value + "'");
      }
      out->push_back(value);
    }
    return Status::OK();
  }

  Status ResolveState(const NameRef& ref, std::string_view field, StateId* out) const {
    if (lc_->FindState(ref.name, out)) return Status::OK();
    return Error(ref.line, "unknown state '" + ref.name + "' in '" + std::string(field) + "'");
  }

  Status Error(int line, const std::string& what) const {
    return Status::InvalidArgument("invalid_lifecycle", source_ + ":" + std::to_string(line) + ": " + what);
  }
  Status Error(const YAML::Mark& mark, const std::string& what) const { return Error(LineOf(mark), what); }

  const std::string& source_;
  std::shared_ptr<Lifecycle> lc_ = std::make_shared<Lifecycle>();
  std::vector<int> state_lines_;  // by StateId, for errors found after parsing
};

bool Lifecycle::FindState(std::string_view name, StateId* out) const {
  for (size_t i = 0; i < states_.size(); ++i) {
    if (states_[i].name == name) {
      *out = static_cast<StateId>(i);
      return true;
    }
  }
  return false;
}

const Transition* Lifecycle::Find(StateId from, std::string_view event) const {
  const auto it = index_.find(std::make_pair(from, std::string(event)));
  return it == index_.end() ? nullptr : &transitions_[it->second];
}

std::vector<std::string> Lifecycle::EventsFrom(StateId from) const {
  std::vector<std::string> events;
  for (auto it = index_.lower_bound(std::make_pair(from, std::string())); it != index_.end() && it->first.first == from;
       ++it) {
    events.push_back(it->first.second);
  }
  return events;
}

Result<std::shared_ptr<const Lifecycle>> ParseLifecycle(std::string_view yaml_text, const std::string& source_name) {
  return LifecycleLoader(source_name).Load(yaml_text);
}

Result<std::shared_ptr<const Lifecycle>> LoadLifecycleFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int err = errno;
    return Status::IOError("cannot open " + path + ": " + std::generic_category().message(err));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) text.append(buf, n);
  // Opening a directory succeeds on Linux; the read is what fails (EISDIR).
  if (std::ferror(file.get())) {
    const int err = errno;
    return Status::IOError("cannot read " + path + ": " + std::generic_category().message(err));
  }
  return ParseLifecycle(text, path);
}

Result<LifecycleSet> LifecycleSet::LoadDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return Status::IOError("cannot list lifecycle directory " + dir + ": " + ec.message());
  // A hub without lifecycles would refuse every order; fail at start instead.
  if (files.empty()) return Status::InvalidArgument("invalid_lifecycle", dir + ": no *.yaml lifecycle files");
  // Sorted so that which error is reported first does not depend on the file system.
  std::sort(files.begin(), files.end());

  LifecycleSet set;
  std::map<std::string, std::string> file_of_type;
  for (const fs::path& file : files) {
    Result<std::shared_ptr<const Lifecycle>> lc = LoadLifecycleFile(file.string());
    if (!lc.ok()) return lc.status();
    const auto [it, inserted] = file_of_type.emplace((*lc)->type(), file.string());
    if (!inserted) {
      return Status::InvalidArgument("invalid_lifecycle", "lifecycle type '" + (*lc)->type() + "' is defined in both " +
                                                              it->second + " and " + file.string());
    }
    set.Add(std::move(lc).value());
  }
  return set;
}

void LifecycleSet::Add(std::shared_ptr<const Lifecycle> lc) {
  const std::string type = lc->type();
  by_type_[type] = std::move(lc);
}

const Lifecycle* LifecycleSet::Find(std::string_view type) const {
  const auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : it->second.get();
}

std::vector<std::string> LifecycleSet::types() const {
  std::vector<std::string> types;
  for (const auto& [type, lc] : by_type_) types.push_back(type);
  return types;
}

}  // namespace orderhub::lifecycle
