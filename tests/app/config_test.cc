// `orderhub serve --config FILE`: what a file sets, and how a bad one is
// refused: the file and the line named, and serve does not start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/hub.h"
#include "testing/test_path.h"

namespace orderhub::app {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = orderhub::testing::TestPath("oh-config", ".yaml");
  }
  void TearDown() override { fs::remove(path_); }
  Status Load(const std::string& text) {
    std::ofstream(path_) << text;
    return ApplyConfigFile(path_.string(), &options_, &listen_);
  }

  fs::path path_;
  HubOptions options_;
  std::string listen_ = "127.0.0.1:8080";
};

TEST_F(ConfigTest, EveryKeyIsApplied) {
  ASSERT_TRUE(Load("data: /srv/oh\n"
                   "listen: 0.0.0.0:9090\n"
                   "durability: normal\n"
                   "threads: 3\n"
                   "max_body_bytes: 4096\n"
                   "snapshot_every: 0\n"
                   "prefault_memory: false\n"
                   "replan_every_s: 30\n")
                  .ok());
  EXPECT_EQ(options_.data_dir, "/srv/oh");
  EXPECT_EQ(listen_, "0.0.0.0:9090");
  EXPECT_EQ(options_.durability, store::Durability::kNormal);
  EXPECT_EQ(options_.server.threads, 3);
  EXPECT_EQ(options_.server.max_body_bytes, 4096u);
  EXPECT_EQ(options_.snapshot_every, 0);
  EXPECT_FALSE(options_.prefault_memory);
  EXPECT_EQ(options_.replan_every_s, 30);
}

TEST_F(ConfigTest, BadFilesNameTheFileAndLine) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {
           Case{"data: x\nsnapshot_evry: 5\n", ":2: unknown key 'snapshot_evry'"},
           Case{"snapshot_every: -1\n", ":1: snapshot_every must be 0 or more"},
           Case{"durability: sometimes\n", ":1: durability must be full or normal"},
           Case{"data: x\nprefault_memory: maybe\n", ":2:"},
           Case{"threads: [1, 2]\n", ":1:"},
           Case{"threads: 0\n", ":1: threads must be 1..64"},
           Case{"data: x\nmax_body_bytes: -5\n", ":2: max_body_bytes must be"},
           Case{"max_body_bytes: 99999999999\n", ":1: max_body_bytes must be"},
           Case{"data: x\nreplan_every_s: -1\n", ":2: replan_every_s must be 0 (never) to 86400"},
           Case{"replan_every_s: 86401\n", ":1: replan_every_s must be 0 (never) to 86400"},
           Case{"replan_every_s: soon\n", ":1:"},
           Case{"- a list\n", "the config must be a mapping"},
           Case{"data: [unclosed\n", ":"},
       }) {
    const Status st = Load(c.text);
    ASSERT_FALSE(st.ok()) << c.text;
    EXPECT_NE(st.ToString().find(path_.string()), std::string::npos) << st.ToString();
    EXPECT_NE(st.ToString().find(c.says), std::string::npos) << c.text << " -> " << st.ToString();
  }
}

TEST_F(ConfigTest, AMissingFileIsAnErrorNamingIt) {
  const Status st = ApplyConfigFile((path_.string() + ".absent"), &options_, &listen_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find(".absent"), std::string::npos);
}

}  // namespace
}  // namespace orderhub::app
