// Console users: Argon2id passwords, signed expiring session tokens, and
// signing in over HTTP (audited, one answer for every failure).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "access/access.h"
#include "app/hub.h"
#include "app/keys.h"
#include "testing/http_client.h"
#include "testing/test_hub.h"
#include "testing/test_path.h"

namespace orderhub::access {
namespace {

using orderhub::testing::HttpClient;
using orderhub::testing::HttpResponse;

constexpr const char* kPassword = "correct horse battery staple";

TEST(Passwords, AreHashedWithArgon2idAndVerified) {
  auto h = HashPassword(kPassword);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_EQ(h->find(kPassword), std::string::npos);
  EXPECT_NE(*HashPassword(kPassword), *h);  // salted
  EXPECT_TRUE(VerifyPassword(*h, kPassword));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword("not a hash", kPassword));
  EXPECT_EQ(HashPassword("short").status().reason(), "weak_password");
}

TEST(SessionTokens, VerifyOnlyTheirOwnUnalteredUnexpiredTokens) {
  SessionTokens tokens(std::string(32, 'k')), other(std::string(32, 'x'));
  const std::string t = tokens.Issue(Session{"t1", "alice", Role::kCustomerService, 1000});
  auto s = tokens.Verify(t, 999);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tenant, "t1");
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->role, Role::kCustomerService);
  EXPECT_FALSE(tokens.Verify(t, 1000).ok());  // expired
  EXPECT_FALSE(other.Verify(t, 999).ok());    // another hub's key
  for (size_t i = 4; i < t.size(); ++i) {     // any character changed
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens.Verify(bad, 999).ok()) << i;
  }
  EXPECT_FALSE(tokens.Verify("ohs_", 0).ok());
  EXPECT_FALSE(tokens.Verify("ohs_.", 0).ok());
}

class SignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = orderhub::testing::TestPath("oh-signin");
    hub_ = orderhub::testing::ServeHub(orderhub::testing::TestHubOptions(dir_), &clock_);
    ASSERT_NE(hub_, nullptr);
    ASSERT_TRUE(app::CreateUser(hub_->store(), "t1", "alice", "customer_service", kPassword, clock_.Now()).ok());
  }
  void TearDown() override {
    hub_.reset();
    std::filesystem::remove_all(dir_);
  }
  HttpResponse SignIn(const std::string& user, const std::string& password) {
    return HttpClient(hub_->port()).Send("POST", "/v1/sessions",
                                         R"({"tenant":"t1","user":")" + user + R"(","password":")" + password + "\"}");
  }

  ManualClock clock_{1'800'000'000'000'000};
  std::filesystem::path dir_;
  std::unique_ptr<app::Hub> hub_;
};

TEST_F(SignInTest, ASessionActsWithItsUsersRoleUntilItExpires) {
  HttpResponse r = SignIn("alice", kPassword);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"role\":\"customer_service\""), std::string::npos) << r.body;
  const size_t at = r.body.find("\"token\":\"") + 9;
  const std::string token = r.body.substr(at, r.body.find('"', at) - at);
  HttpClient session(hub_->port(), token);
  EXPECT_EQ(session.Send("GET", "/v1/orders").status, 200);
  EXPECT_EQ(session.Send("PUT", "/v1/skus/A", R"({"name":"x"})").status, 403);  // the role's limits
  clock_.Advance(8 * 3600 * kMicrosPerSecond);
  HttpResponse late = session.Send("GET", "/v1/orders");
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("the session expired"), std::string::npos) << late.body;
}

TEST_F(SignInTest, EveryFailureLooksTheSameAndEveryAttemptIsAudited) {
  const HttpResponse wrong = SignIn("alice", "wrong password!!"), nobody = SignIn("bob", kPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(nobody.status, 401);
  EXPECT_EQ(wrong.body, nobody.body);
  EXPECT_EQ(SignIn("alice", kPassword).status, 201);
  std::vector<std::string> details;
  ASSERT_TRUE(hub_->store().ReadAudit(1, [&](const store::AuditEntry& e) {
    if (e.action == "POST /v1/sessions") details.push_back(e.actor + " " + e.detail);
    return Status::OK();
  }).ok());
  EXPECT_EQ(details, (std::vector<std::string>{"user:alice 401", "user:bob 401", "user:alice 201"}));
  EXPECT_EQ(HttpClient(hub_->port()).Send("POST", "/v1/sessions", R"({"tenant":"t1","user":"alice"})").status, 400);
}

TEST_F(SignInTest, ADisabledUserCannotSignInAndItsSessionsStop) {
  HttpResponse r = SignIn("alice", kPassword);
  ASSERT_EQ(r.status, 201) << r.body;
  const size_t at = r.body.find("\"token\":\"") + 9;
  HttpClient session(hub_->port(), r.body.substr(at, r.body.find('"', at) - at));
  EXPECT_EQ(session.Send("GET", "/v1/orders").status, 200);
  ASSERT_TRUE(*hub_->store().DisableUser("t1", "alice", clock_.Now()));
  clock_.Advance(5 * kMicrosPerSecond);  // the router re-reads what it cached
  HttpResponse refused = session.Send("GET", "/v1/orders");
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("the session's user is disabled"), std::string::npos) << refused.body;
  EXPECT_EQ(SignIn("alice", kPassword).status, 401);
  EXPECT_FALSE(*hub_->store().DisableUser("t1", "alice", clock_.Now()));  // once
}

TEST_F(SignInTest, PasswordsAreNeverStored) {
  hub_.reset();
  std::ifstream in(dir_ / "orderhub.db", std::ios::binary);
  std::stringstream db;
  db << in.rdbuf();
  EXPECT_EQ(db.str().find(kPassword), std::string::npos);
  EXPECT_NE(db.str().find("$argon2id$"), std::string::npos);
}

}  // namespace
}  // namespace orderhub::access
