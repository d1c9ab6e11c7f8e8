// Who may do what: roles, the permissions each grants, and how personal
// fields are shown. The API router consults this one table for every route;
// nothing else decides access.
//
// Least privilege: a role gets what its people need for their daily work and
// nothing more. Personal fields (recipient name, phone, address) are masked
// for every role; seeing them raw is a separate permission that also needs a
// stated reason and leaves an audit entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace orderhub::access {

enum class Permission : uint8_t {
  kOrdersRead,      // get, list, history of orders
  kOrdersCreate,    // create orders
  kOrdersUpdate,    // cancel, fire lifecycle events
  kTrackingWrite,   // attach action-level tracking events
  kCatalogRead,     // nodes and skus
  kCatalogWrite,
  kInventoryRead,
  kInventoryWrite,  // set stock, adjustments
  kMetricsRead,     // /metrics
  kPiiUnmask,       // personal fields unmasked (with a reason; audited)
  kAuditRead,
  kExportRequest,   // ask for a bulk export (and download it once approved)
  kExportApprove,   // approve someone else's export
  kRoutingPlan,     // route orders again, disruptions, lanes and routing policy
  kCount,
};

enum class Role : uint8_t {
  kAdmin,
  kOperations,
  kCustomerService,
  kAnalyst,
  kWarehouse,
  kPartner,  // 3PLs, distributors, stores
  kChannel,  // a channel integration (the system that forwards a marketplace's orders)
  kFinance,
  kCarrier,
  kCount,
};

std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role r);
std::string_view PermissionName(Permission p);  // e.g. "orders.create"
// Every role, in declaration order (for help texts and tests).
std::span<const Role> AllRoles();

bool Allows(Role r, Permission p);

// Data residency: a region is named by 1-32 lowercase letters, digits and
// hyphens ("cn-north", "eu-central"). Tenants may be pinned to one (store::Tenant);
// a deployment serves one (app::HubOptions::region).
bool IsRegionName(std::string_view name);
inline constexpr const char* kRegionNameRule = "a region is 1-32 lowercase letters, digits and hyphens";

// Masked forms of personal fields, as every response and export shows them
// unless the caller unmasks. Inputs are valid UTF-8 (the codec checks).
// A phone keeps its first 3 and last 4 characters: 138****1234.
std::string MaskPhone(std::string_view phone);
// A name keeps its first character: 张*, 欧阳** -> 欧***.
std::string MaskName(std::string_view name);
// An address line keeps what names the district and no more: in China the
// text up to the last 区/县/旗 (else 市) before the first digit, elsewhere
// nothing: "浦东新区世纪大道100号" -> "浦东新区***".
std::string MaskAddress(std::string_view country, std::string_view address);
// An e-mail address keeps the first character of its local part and its
// domain: alice@example.com -> a***@example.com.
std::string MaskEmail(std::string_view email);

// Console users' passwords: Argon2id (libsodium's crypto_pwhash_str, its
// interactive limits: ~64 MiB and a fraction of a second per hash, which is
// what makes guessing slow). Only the encoded hash is ever stored.
inline constexpr size_t kMinPasswordLength = 12;
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(const std::string& encoded_hash, std::string_view password);

// Console sessions: a signed, expiring token (HMAC-SHA256 under a key the
// hub derives from its data key ring), so no session table is needed; a
// disabled user's tokens stop working when the router re-reads the user.
struct Session {
  std::string tenant, user;
  Role role = Role::kAnalyst;
  Micros expires_at = 0;
};
class SessionTokens {
 public:
  explicit SessionTokens(std::string key) : key_(std::move(key)) {}
  // "ohs_" + base64url(payload) + "." + base64url(mac).
  std::string Issue(const Session& s) const;
  // Refuses a token that was altered, is not one, or expired by `now`.
  Result<Session> Verify(std::string_view token, Micros now) const;
  static bool LooksLikeToken(std::string_view bearer) { return bearer.substr(0, 4) == "ohs_"; }

 private:
  std::string key_;
};

}  // namespace orderhub::access
