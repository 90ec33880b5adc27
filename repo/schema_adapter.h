// A valijson adapter over Boost.JSON values, for repo/schemas.cc only.
//
// valijson ships one (valijson/adapters/boost_json_adapter.hpp), and it
// compiles against Boost 1.81, but it treats only int64 values as integers:
// strata stores integers in [2^63, 2^64) as uint64 (strata/json.h), and
// those would break {"type": "integer"} and could not be compared with
// "maximum". It also reads strings through c_str(), which cuts a string at
// an embedded NUL. This adapter differs in exactly those points:
//
// - integer: an int64, a uint64, or a double with no fractional part (JSON
//   Schema draft 6 and later: 1.0 is an integer);
// - number: every number; a uint64 reads as the nearest double;
// - strings are read whole.
//
// The shape follows valijson's own adapters: a value wrapper (StrataJsonValue)
// plugged into valijson's BasicAdapter, with array and object wrappers and
// their iterators. Everything holds references: the value must outlive it.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>

namespace strata::schema_adapter {

class Adapter;
class ArrayIterator;
class MemberIterator;
using Member = std::pair<std::string, Adapter>;

class Array {
 public:
  using const_iterator = ArrayIterator;
  using iterator = ArrayIterator;
  Array() : array_(Empty()) {}
  explicit Array(const boost::json::value& v) : array_(v.as_array()) {}
  ArrayIterator begin() const;
  ArrayIterator end() const;
  std::size_t size() const { return array_.size(); }

 private:
  static const boost::json::array& Empty() {
    static const boost::json::array empty;
    return empty;
  }
  const boost::json::array& array_;
};

class Object {
 public:
  using const_iterator = MemberIterator;
  using iterator = MemberIterator;
  Object() : object_(Empty()) {}
  explicit Object(const boost::json::value& v) : object_(v.as_object()) {}
  MemberIterator begin() const;
  MemberIterator end() const;
  MemberIterator find(const std::string& key) const;
  std::size_t size() const { return object_.size(); }

 private:
  static const boost::json::object& Empty() {
    static const boost::json::object empty;
    return empty;
  }
  const boost::json::object& object_;
};

// A copy of a value kept by a compiled schema ("enum", "const").
class FrozenValue : public valijson::adapters::FrozenValue {
 public:
  explicit FrozenValue(const boost::json::value& v) : value_(v) {}
  valijson::adapters::FrozenValue* clone() const override { return new FrozenValue(value_); }
  bool equalTo(const valijson::adapters::Adapter& other, bool strict) const override;

 private:
  boost::json::value value_;
};

class Value {
 public:
  Value() : value_(Null()) {}
  Value(const boost::json::value& v) : value_(v) {}

  valijson::adapters::FrozenValue* freeze() const { return new FrozenValue(value_); }

  ::opt::optional<Array> getArrayOptional() const {
    if (value_.is_array()) return ::opt::make_optional(Array(value_));
    return {};
  }
  ::opt::optional<Object> getObjectOptional() const {
    if (value_.is_object()) return ::opt::make_optional(Object(value_));
    return {};
  }
  bool getArraySize(std::size_t& out) const {
    if (!value_.is_array()) return false;
    out = value_.get_array().size();
    return true;
  }
  bool getObjectSize(std::size_t& out) const {
    if (!value_.is_object()) return false;
    out = value_.get_object().size();
    return true;
  }
  bool getBool(bool& out) const {
    if (!value_.is_bool()) return false;
    out = value_.get_bool();
    return true;
  }
  bool getDouble(double& out) const {
    if (value_.is_double()) {
      out = value_.get_double();
      return true;
    }
    if (value_.is_uint64()) {
      out = static_cast<double>(value_.get_uint64());
      return true;
    }
    return false;
  }
  bool getInteger(std::int64_t& out) const {
    if (value_.is_int64()) {
      out = value_.get_int64();
      return true;
    }
    if (value_.is_double() && IntegralDouble(value_.get_double()) &&
        std::fabs(value_.get_double()) < 9.2e18) {
      out = static_cast<std::int64_t>(value_.get_double());
      return true;
    }
    return false;  // a uint64 beyond int64: read as a double (isDouble)
  }
  bool getString(std::string& out) const {
    if (!value_.is_string()) return false;
    out.assign(value_.get_string().data(), value_.get_string().size());
    return true;
  }
  static bool hasStrictTypes() { return true; }
  bool isArray() const { return value_.is_array(); }
  bool isBool() const { return value_.is_bool(); }
  // BasicAdapter reads a number through getDouble when isDouble, else
  // through getInteger; so a uint64 is a "double" here as well as an integer.
  bool isDouble() const { return value_.is_double() || value_.is_uint64(); }
  bool isInteger() const {
    return value_.is_int64() || value_.is_uint64() ||
           (value_.is_double() && IntegralDouble(value_.get_double()));
  }
  bool isNull() const { return value_.is_null(); }
  bool isNumber() const { return value_.is_number(); }
  bool isObject() const { return value_.is_object(); }
  bool isString() const { return value_.is_string(); }

 private:
  static bool IntegralDouble(double d) { return std::isfinite(d) && std::trunc(d) == d; }
  static const boost::json::value& Null() {
    static const boost::json::value null;
    return null;
  }
  const boost::json::value& value_;
};

class Adapter : public valijson::adapters::BasicAdapter<Adapter, Array, Member, Object, Value> {
 public:
  Adapter() : BasicAdapter() {}
  explicit Adapter(const boost::json::value& v) : BasicAdapter(v) {}
};

class ArrayIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = Adapter;
  using difference_type = Adapter;
  using pointer = Adapter*;
  using reference = Adapter&;

  ArrayIterator(boost::json::array::const_iterator it) : it_(it) {}
  Adapter operator*() const { return Adapter(*it_); }
  valijson::adapters::DerefProxy<Adapter> operator->() const {
    return valijson::adapters::DerefProxy<Adapter>(**this);
  }
  bool operator==(const ArrayIterator& o) const { return it_ == o.it_; }
  bool operator!=(const ArrayIterator& o) const { return it_ != o.it_; }
  const ArrayIterator& operator++() {
    ++it_;
    return *this;
  }
  ArrayIterator operator++(int) {
    ArrayIterator before(it_);
    ++it_;
    return before;
  }
  const ArrayIterator& operator--() {
    --it_;
    return *this;
  }
  void advance(std::ptrdiff_t n) { it_ += n; }

 private:
  boost::json::array::const_iterator it_;
};

class MemberIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = Member;
  using difference_type = Member;
  using pointer = Member*;
  using reference = Member&;

  MemberIterator(boost::json::object::const_iterator it) : it_(it) {}
  Member operator*() const { return Member(std::string(it_->key()), Adapter(it_->value())); }
  valijson::adapters::DerefProxy<Member> operator->() const {
    return valijson::adapters::DerefProxy<Member>(**this);
  }
  bool operator==(const MemberIterator& o) const { return it_ == o.it_; }
  bool operator!=(const MemberIterator& o) const { return it_ != o.it_; }
  const MemberIterator& operator++() {
    ++it_;
    return *this;
  }
  MemberIterator operator++(int) {
    MemberIterator before(it_);
    ++it_;
    return before;
  }
  const MemberIterator& operator--() {
    --it_;
    return *this;
  }

 private:
  boost::json::object::const_iterator it_;
};

inline bool FrozenValue::equalTo(const valijson::adapters::Adapter& other, bool strict) const {
  return Adapter(value_).equalTo(other, strict);
}
inline ArrayIterator Array::begin() const { return array_.cbegin(); }
inline ArrayIterator Array::end() const { return array_.cend(); }
inline MemberIterator Object::begin() const { return object_.cbegin(); }
inline MemberIterator Object::end() const { return object_.cend(); }
inline MemberIterator Object::find(const std::string& key) const { return object_.find(key); }

}  // namespace strata::schema_adapter

namespace valijson::adapters {
template <>
struct AdapterTraits<strata::schema_adapter::Adapter> {
  using DocumentType = boost::json::value;
  static std::string adapterName() { return "StrataJsonAdapter"; }
};
}  // namespace valijson::adapters
