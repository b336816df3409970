// How values cross a process boundary: cereal with two small archives of triad's own.
//
// - Arithmetic and enum values (and other trivially copyable types without a cereal
//   serialize function, pointers excluded) are copied as bytes: both ends run the same binary.
// - Everything else goes through cereal (binary layout): standard types out of the box,
//   user types with a `serialize` member or free function.
// - Decoding is checked: every read is bounds-checked against the received frame and every
//   container length is checked against the bytes left before anything is allocated, so a
//   corrupted or truncated message raises triad::ValueError instead of crashing or
//   allocating terabytes. Decoding never calls anything but the T's own load functions.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "triad/core/error.hpp"

namespace triad::process::detail {

// Appends everything it is given to a std::string.
class StringOutputArchive
    : public cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit StringOutputArchive(std::string& out)
      : cereal::OutputArchive<StringOutputArchive, cereal::AllowEmptyClassElision>(this),
        out_(&out) {}
  void saveBinary(const void* data, std::size_t size) {
    if (size) out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

// Reads from a byte range; every read and every announced length is bounds-checked.
class CheckedInputArchive
    : public cereal::InputArchive<CheckedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  CheckedInputArchive(const char* data, std::size_t size)
      : cereal::InputArchive<CheckedInputArchive, cereal::AllowEmptyClassElision>(this),
        p_(data),
        left_(size) {}
  void loadBinary(void* data, std::size_t size) {
    if (size > left_)
      throw ValueError("corrupted message: it ends " + std::to_string(size - left_) +
                       " bytes too early");
    if (size == 0) return;  // data may be null for an empty container
    std::memcpy(data, p_, size);
    p_ += size;
    left_ -= size;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return left_; }

 private:
  const char* p_;
  std::size_t left_;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar,
                                                                    const T& t) {
  ar.saveBinary(std::addressof(t), sizeof(t));
}
// A bool holding any byte but 0 or 1 is undefined behaviour: read the byte, then check it.
inline bool checked_bool(unsigned char byte) {
  if (byte > 1)
    throw ValueError("corrupted message: a bool encoded as " + std::to_string(byte));
  return byte == 1;
}
template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(CheckedInputArchive& ar,
                                                                    T& t) {
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte = 0;
    ar.loadBinary(&byte, 1);
    t = checked_bool(byte);
  } else {
    ar.loadBinary(std::addressof(t), sizeof(t));
  }
}
template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(StringOutputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(CheckedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar, const cereal::SizeTag<T>& t) {
  ar(t.size);
}
// A length can never exceed the bytes left: every element of a standard container takes at
// least one byte. Checking here keeps a corrupted length from allocating anything.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(CheckedInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  if (static_cast<std::uint64_t>(t.size) > ar.remaining())
    throw ValueError("corrupted message: a length of " + std::to_string(t.size) +
                     " exceeds the " + std::to_string(ar.remaining()) + " bytes left");
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(StringOutputArchive& ar, const cereal::BinaryData<T>& b) {
  ar.saveBinary(b.data, static_cast<std::size_t>(b.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(CheckedInputArchive& ar, cereal::BinaryData<T>& b) {
  ar.loadBinary(b.data, static_cast<std::size_t>(b.size));
}

// How a T crosses: raw bytes, cereal, or not at all.
template <class T>
inline constexpr bool is_raw_v =
    (std::is_arithmetic_v<T> || std::is_enum_v<T> ||
     (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
      !std::is_member_pointer_v<T> &&
      !cereal::traits::is_output_serializable<T, StringOutputArchive>::value));

template <class T>
inline constexpr bool is_sendable_v =
    is_raw_v<T> || (cereal::traits::is_output_serializable<T, StringOutputArchive>::value &&
                    cereal::traits::is_input_serializable<T, CheckedInputArchive>::value &&
                    std::is_default_constructible_v<T>);

template <class T>
void check_sendable() {
  static_assert(is_sendable_v<T>,
                "triad::process: this type cannot cross a process boundary. Give it a cereal "
                "`template <class A> void serialize(A& ar) { ar(field1, field2); }` member "
                "(and a default constructor), or make it trivially copyable without pointers.");
}

// Appends the encoding of v to out.
template <class T>
void encode(std::string& out, const T& v) {
  check_sendable<T>();
  if constexpr (is_raw_v<T>) {
    out.append(reinterpret_cast<const char*>(std::addressof(v)), sizeof(T));
  } else {
    StringOutputArchive ar(out);
    ar(v);
  }
}

// Decodes a T from exactly [data, data + size). Throws ValueError on a corrupted message.
template <class T>
T decode(const char* data, std::size_t size) {
  check_sendable<T>();
  if constexpr (is_raw_v<T>) {
    if (size != sizeof(T))
      throw ValueError("corrupted message: expected " + std::to_string(sizeof(T)) +
                       " bytes, got " + std::to_string(size));
    if constexpr (std::is_same_v<T, bool>) {
      return checked_bool(static_cast<unsigned char>(data[0]));
    } else {
      T v;
      std::memcpy(static_cast<void*>(std::addressof(v)), data, sizeof(T));
      return v;
    }
  } else {
    T v{};
    try {
      CheckedInputArchive ar(data, size);
      ar(v);
    } catch (const triad::Error&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw ValueError("corrupted message: it asks for more memory than is available");
    } catch (const std::exception& e) {
      throw ValueError(std::string("corrupted message: ") + e.what());
    }
    return v;
  }
}

template <class... A>
void encode_all(std::string& out, const A&... a) {
  (encode(out, a), ...);
}

}  // namespace triad::process::detail

CEREAL_SETUP_ARCHIVE_TRAITS(triad::process::detail::CheckedInputArchive,
                            triad::process::detail::StringOutputArchive)
