// Reading the TOML configuration and the FAQ bot's rules.
#include "app/config_file.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace blendroute::app {
namespace {

class ConfigFileTest : public ::testing::Test {
protected:
  std::string write(const std::string& text) {
    const auto path =
        std::filesystem::temp_directory_path()
        // CTest runs each test in its own process, in parallel: the name keeps files apart.
        / ("blendroute-config-"
           + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-"
           + std::to_string(files_++) + ".toml");
    std::ofstream(path) << text;
    paths_.push_back(path);
    return path.string();
  }

  void TearDown() override {
    for (const auto& path : paths_) {
      std::filesystem::remove(path);
    }
  }

  int files_ = 0;
  std::vector<std::filesystem::path> paths_;
};

TEST_F(ConfigFileTest, ShippedConfigurationAndBotRulesLoad) {
  auto cfg = load_config(std::string(BLENDROUTE_SOURCE_DIR) + "/conf/blendroute.toml", {});
  ASSERT_TRUE(cfg.ok()) << cfg.err().message;
  EXPECT_EQ(cfg->tiers.size(), 2u);
  EXPECT_EQ(cfg->routing.size(), 1u);
  auto bot = load_faq_bot(std::string(BLENDROUTE_SOURCE_DIR) + "/conf/faq_bot.toml");
  ASSERT_TRUE(bot.ok()) << bot.err().message;
  EXPECT_EQ(bot->rule_count(), 24u);
}

TEST_F(ConfigFileTest, ADirectoryOrAMissingFileIsNotAnEmptyConfiguration) {
  const auto dir = std::filesystem::temp_directory_path() / "blendroute-config-dir-test";
  std::filesystem::create_directories(dir);
  auto from_dir = load_config(dir.string(), {});
  ASSERT_FALSE(from_dir.ok());
  EXPECT_NE(from_dir.err().message.find("not a regular file"), std::string::npos)
      << from_dir.err().message;
  std::filesystem::remove_all(dir);
  auto missing = load_config((dir / "nowhere.toml").string(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.err().message.find("no such file"), std::string::npos);
}

TEST_F(ConfigFileTest, UnknownKeysAndBadValuesNameTheKeyAndLine) {
  auto cfg = load_config(write("[listen]\n"
                               "tcp_port = 7400\n"
                               "colour = \"blue\"\n"
                               "[tiers.standard]\n"
                               "bot_attempt = \"5 seconds\"\n"),
                         {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("listen.colour (line 3): unknown key"), std::string::npos)
      << cfg.err().message;
  EXPECT_NE(cfg.err().message.find("tiers.standard.bot_attempt (line 5)"), std::string::npos)
      << cfg.err().message;
}

TEST_F(ConfigFileTest, WrongTypesAreReported) {
  auto cfg =
      load_config(write("[journal]\nsync = 3\n[runtime]\nscheduler_threads = \"two\"\n"), {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("journal.sync"), std::string::npos) << cfg.err().message;
  EXPECT_NE(cfg.err().message.find("runtime.scheduler_threads (line 4): must be an integer"),
            std::string::npos)
      << cfg.err().message;
}

TEST_F(ConfigFileTest, SetOverridesTheFile) {
  auto cfg = load_config(write("[journal]\nsync = \"always\"\n"),
                         {"journal.sync=none", "listen.tcp_port=0", "tiers.gold.priority=20",
                          "tiers.gold.bot_attempt=1s", "routing.default_tier=gold"});
  ASSERT_TRUE(cfg.ok()) << cfg.err().message;
  EXPECT_EQ(cfg->journal.sync, sync_mode::none);
  EXPECT_EQ(cfg->listener.tcp_port, 0);
  ASSERT_NE(cfg->find_tier("gold"), nullptr);
  EXPECT_EQ(cfg->find_tier("gold")->bot_attempt, std::chrono::seconds{1});
}

TEST_F(ConfigFileTest, TheBuiltInMatrixFollowsTheTiersOwnHumanResponse) {
  auto cfg = load_config(write("[tiers.gold]\nhuman_response = \"10s\"\n"
                               "[tiers.standard]\nhuman_response = \"2s\"\n"),
                         {});
  ASSERT_TRUE(cfg.ok()) << cfg.err().message;
  for (const auto& [tier, expected] :
       {std::pair<std::string, duration>{"gold", std::chrono::seconds{10}},
        {"standard", std::chrono::seconds{2}}}) {
    ASSERT_NE(cfg->find_tier(tier), nullptr) << tier;
    EXPECT_EQ(cfg->find_tier(tier)->escalation, builtin_escalation(expected)) << tier;
    EXPECT_EQ(cfg->find_tier(tier)->escalation.back().after, expected / 2) << tier;
  }
}

TEST_F(ConfigFileTest, ValidationProblemsCarryTheirLine) {
  auto cfg = load_config(write("[runtime]\n"
                               "scheduler_threads = 0\n"
                               "colour = 1\n"),
                         {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("runtime.scheduler_threads (line 2)"), std::string::npos)
      << cfg.err().message;
  EXPECT_NE(cfg.err().message.find("runtime.colour (line 3)"), std::string::npos)
      << cfg.err().message;
}

TEST_F(ConfigFileTest, CombinationsAreValidated) {
  auto cfg = load_config(write("[routing]\ndefault_tier = \"gold\"\n"), {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("routing.default_tier"), std::string::npos);
}

TEST_F(ConfigFileTest, SyntaxErrorsNameTheLine) {
  auto cfg = load_config(write("[listen]\ntcp_port = = 1\n"), {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("line 2"), std::string::npos) << cfg.err().message;
}

TEST_F(ConfigFileTest, BusinessHoursAreReadWithTheirTimeZone) {
  auto cfg = load_config(write("[tiers.standard.hours]\n"
                               "time_zone = \"Europe/Berlin\"\n"
                               "monday = \"08:00-18:00\"\n"
                               "saturday = [\"09:00-12:00\", \"13:00-15:00\"]\n"
                               "holidays = [\"2026-12-25\"]\n"
                               "off_hours = \"queue\"\n"),
                         {});
  ASSERT_TRUE(cfg.ok()) << cfg.err().message;
  const auto& hours = cfg->find_tier("standard")->hours;
  ASSERT_TRUE(hours.has_value());
  EXPECT_EQ(hours->weekly.size(), 3u);
  EXPECT_EQ(hours->holidays.size(), 1u);
  EXPECT_EQ(hours->off_hours, off_hours_path::queue);
  ASSERT_NE(hours->zone, nullptr);
  // 2026-07-01 12:00 UTC is summer time in Berlin (UTC+2); 2026-01-15 is winter (UTC+1).
  EXPECT_EQ(hours->zone->utc_offset(from_unix_ms(1'782'907'200'000)), std::chrono::hours{2});
  EXPECT_EQ(hours->zone->utc_offset(from_unix_ms(1'768'478'400'000)), std::chrono::hours{1});
}

TEST_F(ConfigFileTest, BadBusinessHoursAreReported) {
  auto cfg = load_config(write("[tiers.standard.hours]\n"
                               "time_zone = \"Mars/Olympus\"\n"
                               "monday = \"18:00-08:00\"\n"),
                         {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("tiers.standard.hours.time_zone"), std::string::npos)
      << cfg.err().message;
  EXPECT_NE(cfg.err().message.find("tiers.standard.hours.monday"), std::string::npos);
}

TEST_F(ConfigFileTest, BotRulesNeedAnIntentAndKeywords) {
  auto bot = load_faq_bot(write("[[rule]]\nintent = \"x\"\nanswer = \"y\"\noutcome = \"maybe\"\n"));
  ASSERT_FALSE(bot.ok());
  EXPECT_NE(bot.err().message.find("rule.outcome"), std::string::npos) << bot.err().message;
}

TEST_F(ConfigFileTest, RoutingRulesAndIntentsCarryRequiredSkills) {
  auto cfg = load_config(write("[routing]\n"
                               "[[routing.rule]]\n"
                               "attr = \"lang\"\n"
                               "equals = \"de\"\n"
                               "skills = [\"german\"]\n"
                               "[routing.intent_skills]\n"
                               "report_fraud = [\"fraud\", \"cards\"]\n"),
                         {});
  ASSERT_TRUE(cfg.ok()) << cfg.err().message;
  ASSERT_EQ(cfg->routing.size(), 1u);
  EXPECT_EQ(cfg->routing[0].tier, "");
  EXPECT_EQ(cfg->routing[0].skills, std::vector<std::string>{"german"});
  ASSERT_EQ(cfg->intent_skills.size(), 1u);
  EXPECT_EQ(cfg->intent_skills[0].intent, "report_fraud");
  EXPECT_EQ(cfg->intent_skills[0].skills, (std::vector<std::string>{"fraud", "cards"}));
}

TEST_F(ConfigFileTest, SkillsThatAreNotStringsAreReportedWithTheirLine) {
  auto cfg = load_config(write("[routing.intent_skills]\n"
                               "report_fraud = [\"fraud\", 7]\n"
                               "billing = \"payments\"\n"),
                         {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.err().message.find("routing.intent_skills.report_fraud (line 2)"),
            std::string::npos)
      << cfg.err().message;
  EXPECT_NE(cfg.err().message.find("routing.intent_skills.billing (line 3)"), std::string::npos)
      << cfg.err().message;
}

}  // namespace
}  // namespace blendroute::app
