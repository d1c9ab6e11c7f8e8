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

}  // namespace orderhub::access
