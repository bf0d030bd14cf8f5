// libFuzzer target: any bytes as one frame. The decoder must answer every input with an
// event, a hello or an error, never crash, and never read past what it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/frame_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static blendroute::net::frame_decoder decoder;
  // Twice: as the HTTP listener hands a frame over (no padding: the decoder copies it), and
  // as the TCP listener does (padded in place).
  const char* text = reinterpret_cast<const char*>(data);
  blendroute::net::decoded_frame copied = decoder.decode(text, size, size);
  std::vector<char> padded(text, text + size);
  padded.resize(size + 64);
  blendroute::net::decoded_frame in_place = decoder.decode(padded.data(), size, padded.size());

  // Exactly one outcome, and the same one both ways.
  const int outcomes = (copied.err ? 1 : 0) + (copied.event ? 1 : 0) + (copied.hello ? 1 : 0);
  if (outcomes != 1 || copied.err.has_value() != in_place.err.has_value()
      || (copied.err && copied.err->code != in_place.err->code)
      || copied.event.has_value() != in_place.event.has_value() || copied.id != in_place.id) {
    std::abort();
  }
  return 0;
}
