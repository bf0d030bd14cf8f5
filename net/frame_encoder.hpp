// Encoding of acks, welcomes and egress frames as NDJSON lines.
#pragma once

#include <string>
#include <vector>

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

/// Appends the body of `GET /v1/conversations/{id}` and a newline.
void encode_conversation_view(std::string& out, const actors::conversation_view& view);

/// `GET /v1/conversations/{id}/timeline`: `{"conv":…,"entries":[{"at":…,"what":…,…}]}`,
/// each entry with its fields and, for the router's own, `caused_by` (the entry index).
void encode_timeline(std::string& out, const std::string& conv,
                     const std::vector<timeline_entry>& entries);

/// Appends the body of `GET /v1/agents`: `{"agents":[…]}` and a newline.
void encode_agent_views(std::string& out, const std::vector<actors::agent_view>& agents);

/// Appends the body of `GET /v1/queues`: `{"queues":[…]}` and a newline.
void encode_queue_views(std::string& out, const std::vector<actors::queue_view>& queues);

/// Appends the body of `GET /v1/kpis` and a newline.
void encode_kpi_report(std::string& out, const actors::kpi_report& report);

}  // namespace blendroute::net
