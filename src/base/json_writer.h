// A small, allocation-light JSON writer for responses, journal records and
// query-table documents. It does not validate nesting: callers are our code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace orderhub {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { Sep(); out_->push_back('{'); first_ = true; return *this; }
  JsonWriter& EndObject() { out_->push_back('}'); first_ = false; return *this; }
  JsonWriter& BeginArray() { Sep(); out_->push_back('['); first_ = true; return *this; }
  JsonWriter& EndArray() { out_->push_back(']'); first_ = false; return *this; }
  JsonWriter& Key(std::string_view k) {
    Sep();
    AppendQuoted(k);
    out_->push_back(':');
    first_ = true;  // the value that follows needs no comma
    return *this;
  }
  JsonWriter& String(std::string_view v) { Sep(); AppendQuoted(v); return *this; }
  JsonWriter& Int(int64_t v) { Sep(); out_->append(std::to_string(v)); return *this; }
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v) { Sep(); out_->append(v ? "true" : "false"); return *this; }
  JsonWriter& Null() { Sep(); out_->append("null"); return *this; }
  // Already-serialised JSON (extension attributes are stored as given).
  JsonWriter& Raw(std::string_view json) { Sep(); out_->append(json); return *this; }

  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, bool v) { return Key(k).Bool(v); }

 private:
  void Sep() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void AppendQuoted(std::string_view s);

  std::string* out_;
  bool first_ = true;
};

}  // namespace orderhub
