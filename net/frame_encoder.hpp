// Encoding of acks, welcomes and egress frames as NDJSON lines.
#pragma once

#include <string>

#include "actors/ingress_port.hpp"
#include "core/egress.hpp"
#include "core/event.hpp"

namespace blendroute::net {

/// Appends the ack of the frame with id `id` (empty: the id could not be read) and a newline.
void encode_ack(std::string& out, const std::string& id, const actors::ack& answer);

/// Appends `{"type":"welcome",…}` and a newline.
void encode_welcome(std::string& out, role who, const std::string& session);

/// Appends `frame` as one JSON line.
void encode_egress(std::string& out, const egress_frame& frame);

}  // namespace blendroute::net
