// Error codes and the value-or-error result used across blendroute.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace blendroute {

/// Error codes: the wire ack codes of DESIGN.md §5 first, then internal codes.
enum class errc : std::uint8_t {
  bad_json,
  bad_utf8,
  frame_too_large,
  missing_field,
  bad_type,
  bad_value,
  unknown_type,
  unauthorized,
  forbidden,
  not_owner,
  stale_offer,
  unknown_conversation,
  unavailable,
  // Internal codes, never sent on the wire as such.
  journal_io,
  config_invalid,
};

/// The wire name of `code` (`bad_json`, …); internal codes map to the wire code a client sees.
std::string_view wire_code(errc code);

/// A code with the context that explains it (a field name, an id, a path).
struct error {
  errc code;
  std::string message;
};

/// Holds either a value or an error, like leveldb's Status paired with a value.
template <class T>
class result {
public:
  result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  result(error err) : state_(std::move(err)) {}  // NOLINT(google-explicit-constructor)

  result(errc code, std::string message) : state_(error{code, std::move(message)}) {}

  bool ok() const { return state_.index() == 0; }

  explicit operator bool() const { return ok(); }

  T& value() { return std::get<0>(state_); }

  const T& value() const { return std::get<0>(state_); }

  T& operator*() { return value(); }

  const T& operator*() const { return value(); }

  T* operator->() { return &value(); }

  const T* operator->() const { return &value(); }

  const error& err() const { return std::get<1>(state_); }

private:
  std::variant<T, error> state_;
};

/// A result that carries no value: success, or an error.
template <>
class result<void> {
public:
  result() = default;

  result(error err) : err_(std::move(err)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  result(errc code, std::string message) : err_{code, std::move(message)}, ok_(false) {}

  bool ok() const { return ok_; }

  explicit operator bool() const { return ok_; }

  const error& err() const { return err_; }

private:
  error err_{errc::bad_value, {}};
  bool ok_ = true;
};

}  // namespace blendroute
