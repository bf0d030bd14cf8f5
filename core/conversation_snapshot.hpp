// Snapshots of a rebuilt conversation (DESIGN.md §6): its whole state and pending work as
// bytes, so that recovery starts from the snapshot and applies only the journal after it.
#pragma once

#include <string>
#include <string_view>

#include "core/conversation_rebuild.hpp"
#include "core/error.hpp"

namespace blendroute {

/// The conversation's state and the pending work the rebuild remembered, as bytes. The
/// format starts with a version byte; a snapshot of another version does not decode.
std::string encode_snapshot(const conversation_rebuild& rebuild);

/// The rebuild `encode_snapshot` wrote, ready to apply the inputs journaled after it. A
/// snapshot that is cut short, has bytes left over, or holds a value out of range is a
/// `journal_io` error (recovery then replays the whole journal instead).
result<conversation_rebuild> decode_snapshot(std::string_view bytes);

}  // namespace blendroute
