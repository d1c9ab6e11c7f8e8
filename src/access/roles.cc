#include <array>

#include "access/access.h"

namespace orderhub::access {
namespace {

using P = Permission;

constexpr uint32_t Bits(std::initializer_list<P> ps) {
  uint32_t b = 0;
  for (P p : ps) b |= 1u << static_cast<unsigned>(p);
  return b;
}

struct RoleSpec {
  std::string_view name;
  uint32_t grants;
};

// The grant table. Changing a row changes what real people can do: the
// route x role test (tests/access) holds an independent copy on purpose.
constexpr std::array<RoleSpec, static_cast<size_t>(Role::kCount)> kRoles = {{
    // Exports are approved by an admin other than their requester (api/exports.cc).
    {"admin", (1u << static_cast<unsigned>(P::kCount)) - 1},
    {"operations", Bits({P::kOrdersRead, P::kOrdersCreate, P::kOrdersUpdate, P::kTrackingWrite, P::kCatalogRead,
                         P::kCatalogWrite, P::kInventoryRead, P::kInventoryWrite, P::kMetricsRead,
                         P::kExportRequest, P::kRoutingPlan})},
    // Customer service calls customers back: it may unmask, with a reason.
    {"customer_service", Bits({P::kOrdersRead, P::kOrdersUpdate, P::kCatalogRead, P::kInventoryRead, P::kPiiUnmask})},
    {"analyst", Bits({P::kOrdersRead, P::kCatalogRead, P::kInventoryRead, P::kMetricsRead, P::kExportRequest})},
    {"warehouse", Bits({P::kOrdersRead, P::kOrdersUpdate, P::kTrackingWrite, P::kCatalogRead, P::kInventoryRead,
                        P::kInventoryWrite})},
    {"partner", Bits({P::kOrdersRead, P::kOrdersUpdate, P::kTrackingWrite})},
    {"channel", Bits({P::kOrdersRead, P::kOrdersCreate, P::kOrdersUpdate, P::kCatalogRead, P::kInventoryRead})},
    {"finance", Bits({P::kOrdersRead, P::kCatalogRead, P::kExportRequest})},
    {"carrier", Bits({P::kTrackingWrite})},
}};

constexpr std::array<std::string_view, static_cast<size_t>(P::kCount)> kPermissionNames = {
    "orders.read",    "orders.create",   "orders.update", "tracking.write", "catalog.read",
    "catalog.write",  "inventory.read", "inventory.write", "metrics.read",  "pii.unmask",
    "audit.read",     "export.request", "export.approve", "routing.plan",
};

constexpr std::array<Role, static_cast<size_t>(Role::kCount)> kAllRoles = {
    Role::kAdmin,   Role::kOperations, Role::kCustomerService, Role::kAnalyst, Role::kWarehouse,
    Role::kPartner, Role::kChannel,    Role::kFinance,         Role::kCarrier,
};

}  // namespace

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoles.size(); ++i) {
    if (kRoles[i].name == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string_view RoleName(Role r) { return kRoles[static_cast<size_t>(r)].name; }

std::string_view PermissionName(Permission p) { return kPermissionNames[static_cast<size_t>(p)]; }

std::span<const Role> AllRoles() { return kAllRoles; }

bool Allows(Role r, Permission p) {
  return (kRoles[static_cast<size_t>(r)].grants >> static_cast<unsigned>(p)) & 1u;
}

}  // namespace orderhub::access
