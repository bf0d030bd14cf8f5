// Frame decoding on frames built from the bundled real conversations, beside simdjson's own
// parse of the same bytes.
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "core/json_writer.hpp"
#include "net/frame_decoder.hpp"

namespace blendroute::net {
namespace {

/// The ingress frames a gateway, a bot and an agent would send for the bundled
/// conversations: each customer turn a `customer.message` (the first with the customer's
/// attributes), each agent turn a `bot.reply`, or an `agent.reply` once a human has it.
/// Each frame is kept with simdjson's padding after it, as the TCP buffer has.
struct frame_corpus {
  std::vector<simdjson::padded_string> frames;
  std::size_t bytes = 0;
};

const frame_corpus& corpus() {
  static const frame_corpus built = [] {
    frame_corpus out;
    std::ifstream in(BLENDROUTE_SOURCE_DIR "/data/sample/conversations.jsonl");
    simdjson::ondemand::parser parser;
    std::string line;
    std::size_t conversation = 0;
    while (std::getline(in, line)) {
      simdjson::padded_string padded(line);
      simdjson::ondemand::document doc;
      if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
        continue;
      }
      simdjson::ondemand::array turns;
      if (doc["turns"].get_array().get(turns) != simdjson::SUCCESS) {
        continue;
      }
      const std::string conv = "bench-" + std::to_string(++conversation);
      int turn = 0;
      for (auto element : turns) {
        std::string_view speaker;
        std::string_view text;
        simdjson::ondemand::object object;
        if (element.get_object().get(object) != simdjson::SUCCESS
            || object["speaker"].get_string().get(speaker) != simdjson::SUCCESS
            || object["text"].get_string().get(text) != simdjson::SUCCESS) {
          continue;
        }
        std::string frame;
        json_writer json(frame);
        const std::string id = conv + "-" + std::to_string(++turn);
        if (speaker == "customer") {
          json.begin_object()
              .field("type", "customer.message")
              .field("id", id)
              .field("conv", conv)
              .field("text", text)
              .field("ts", std::int64_t{1'700'000'000'000} + turn);
          if (turn == 1) {
            json.field("customer", "cust-" + std::to_string(conversation))
                .field("channel", "web")
                .field("lang", "en")
                .begin_object("attrs")
                .field("plan", "gold")
                .field("region", "eu-west")
                .end_object();
          }
          json.end_object();
        } else if (speaker == "agent" && turn < 8) {
          json.begin_object()
              .field("type", "bot.reply")
              .field("id", id)
              .field("conv", conv)
              .field("text", text)
              .field("outcome", "continue")
              .field("intent", "hotel_book")
              .field("confidence", 0.87)
              .begin_object("slots")
              .field("city", "Berlin")
              .end_object()
              .end_object();
        } else if (speaker == "agent") {
          json.begin_object()
              .field("type", "agent.reply")
              .field("id", id)
              .field("conv", conv)
              .field("agent", "a17")
              .field("text", text)
              .end_object();
        } else {
          continue;
        }
        out.bytes += frame.size();
        out.frames.emplace_back(frame);
      }
    }
    return out;
  }();
  return built;
}

void report(benchmark::State& state, const frame_corpus& frames) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames.frames.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frames.bytes));
  state.counters["frames"] = static_cast<double>(frames.frames.size());
}

/// What the I/O threads do per frame: simdjson ondemand plus every check of DESIGN.md §5,
/// into a core event that owns its strings.
void BM_FrameDecoder_RealConversationFrames(benchmark::State& state) {
  const frame_corpus& frames = corpus();
  if (frames.frames.empty()) {
    state.SkipWithError("no frames: data/sample/conversations.jsonl missing");
    return;
  }
  frame_decoder decoder;
  for (auto _ : state) {
    for (const auto& frame : frames.frames) {
      decoded_frame decoded =
          decoder.decode(frame.data(), frame.size(), frame.size() + simdjson::SIMDJSON_PADDING);
      if (decoded.err) {
        state.SkipWithError(decoded.err->message.c_str());
        return;
      }
      benchmark::DoNotOptimize(decoded);
    }
  }
  report(state, frames);
}

/// The floor: simdjson's DOM parse of the same bytes (validates every byte and builds its
/// tape; no strings leave the parser).
void BM_Simdjson_DomParseSameFrames(benchmark::State& state) {
  const frame_corpus& frames = corpus();
  if (frames.frames.empty()) {
    state.SkipWithError("no frames: data/sample/conversations.jsonl missing");
    return;
  }
  simdjson::dom::parser parser;
  for (auto _ : state) {
    for (const auto& frame : frames.frames) {
      simdjson::dom::element doc;
      if (parser.parse(frame).get(doc) != simdjson::SUCCESS) {
        state.SkipWithError("simdjson refused a frame");
        return;
      }
      benchmark::DoNotOptimize(doc);
    }
  }
  report(state, frames);
}

/// simdjson ondemand touching every field once (strings unescaped, numbers parsed), the
/// least any decoder built on it can do.
void BM_Simdjson_OndemandEveryFieldSameFrames(benchmark::State& state) {
  const frame_corpus& frames = corpus();
  if (frames.frames.empty()) {
    state.SkipWithError("no frames: data/sample/conversations.jsonl missing");
    return;
  }
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    for (const auto& frame : frames.frames) {
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      if (parser.iterate(frame).get(doc) != simdjson::SUCCESS
          || doc.get_object().get(object) != simdjson::SUCCESS) {
        state.SkipWithError("simdjson refused a frame");
        return;
      }
      std::size_t touched = 0;
      for (auto field : object) {
        simdjson::ondemand::value value;
        if (field.value().get(value) != simdjson::SUCCESS) {
          state.SkipWithError("simdjson refused a field");
          return;
        }
        simdjson::ondemand::json_type type;
        if (value.type().get(type) != simdjson::SUCCESS) {
          state.SkipWithError("simdjson refused a value");
          return;
        }
        std::string_view text;
        double number = 0;
        switch (type) {
          case simdjson::ondemand::json_type::string:
            touched += value.get_string().get(text) == simdjson::SUCCESS ? text.size() : 0;
            break;
          case simdjson::ondemand::json_type::number:
            touched += value.get_double().get(number) == simdjson::SUCCESS ? 1 : 0;
            break;
          default:
            touched += value.raw_json_token().size();
            break;
        }
      }
      benchmark::DoNotOptimize(touched);
    }
  }
  report(state, frames);
}

BENCHMARK(BM_FrameDecoder_RealConversationFrames);
BENCHMARK(BM_Simdjson_DomParseSameFrames);
BENCHMARK(BM_Simdjson_OndemandEveryFieldSameFrames);

}  // namespace
}  // namespace blendroute::net
