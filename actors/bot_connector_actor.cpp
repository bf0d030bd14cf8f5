// Bot connector: remote bot connections first, the embedded FAQ bot when none is connected.
#include "actors/bot_connector_actor.hpp"

#include <caf/all.hpp>

#include "actors/router_context.hpp"
#include "actors/type_ids.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.bot";

/// The embedded bot's reply, as the ingress event a remote bot would have sent.
ingress_event embedded_reply(const egress_frame& request, const faq_bot& bot) {
  const faq_answer answer = bot.answer(request.text);
  ingress_event reply;
  reply.type = event_type::bot_reply;
  reply.id = "embedded-bot:" + request.delivery;
  reply.delivery = request.delivery;  // So that a late answer to an earlier leg is refused.
  reply.conv = request.conv;
  reply.text = answer.text;
  reply.outcome = answer.outcome;
  reply.intent = answer.intent;
  if (!answer.intent.empty()) {
    reply.confidence = answer.confidence;
  }
  return reply;
}

/// Sends one bot request to a connected bot, else has the embedded bot answer it.
void ask_bot(caf::event_based_actor* self, router_context* ctx, bot_request_msg& request) {
  if (ctx->egress->send_to_bot(request.frame)) {
    return;
  }
  auto conversation_actor = ctx->directory.find(request.frame.conv);
  if (!conversation_actor) {
    return;
  }
  ingress_envelope envelope;
  envelope.event = embedded_reply(request.frame, *ctx->bot);
  const std::string conv = request.frame.conv;
  envelope.done = ack_promise([ctx, conv](ack answer) {
    if (answer.status == ack_status::rejected) {
      // The conversation moved on (escalated by a timer) before the bot answered.
      ctx->log_line(log_level::debug, component,
                    "embedded_reply_dropped conv=" + conv + " reason=" + answer.message);
    }
  });
  self->send(*conversation_actor, conversation_msg{std::move(envelope)});
}

caf::behavior bot_connector_actor(caf::event_based_actor* self, router_context* ctx) {
  return {
      [=](ask_bot_atom, bot_request_msg& request) { ask_bot(self, ctx, request); },
      [=](ask_bot_atom, bot_request_batch& batch) {
        for (auto& request : batch.requests) {
          ask_bot(self, ctx, request);
        }
      },
  };
}

}  // namespace

caf::actor spawn_bot_connector_actor(caf::actor_system& system, router_context* ctx) {
  return system.spawn(bot_connector_actor, ctx);
}

}  // namespace blendroute::actors
