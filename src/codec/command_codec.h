// Journal records <-> engine commands.
//
// The API turns each mutating request into a JournalRecord (who, what, the
// body as received) and decodes the command from that record; a restart
// decodes the same records the same way. One path for both is what makes a
// replay rebuild exactly the state that was acknowledged.
#pragma once

#include "base/status.h"
#include "crypto/crypto.h"
#include "engine/command.h"
#include "store/store.h"

namespace orderhub::codec {

// Record kinds.
inline constexpr char kCreateOrder[] = "create_order";
inline constexpr char kFireEvent[] = "fire_event";
inline constexpr char kTracking[] = "tracking";
inline constexpr char kPutNode[] = "put_node";
inline constexpr char kPutSku[] = "put_sku";
inline constexpr char kSetStock[] = "set_stock";
inline constexpr char kAdjustStock[] = "adjust_stock";
inline constexpr char kExpire[] = "expire";
inline constexpr char kPutLanes[] = "put_lanes";    // body: the lanes document (YAML or JSON)
inline constexpr char kPutPolicy[] = "put_policy";  // body: the policy document (YAML or JSON)
inline constexpr char kDisruption[] = "disruption";
inline constexpr char kReroute[] = "reroute";       // target: the order id
inline constexpr char kReplan[] = "replan";

// Decodes `r` into a command (without `now`, which the writer stamps).
// For create_order, r.target is the order id and its body may be sealed
// (SealBody); `keys` open it and seal the order's personal fields. For stock
// kinds, r.target is "sku/node".
Result<engine::CommandBody> DecodeCommand(const store::JournalRecord& r, const crypto::DataKeys& keys);

// A create_order body holds personal data, so the journal keeps it sealed:
// kSealedBody and then DataKeys::Seal's bytes. Binary, not base64: a third
// fewer bytes in every created order's journal record (a JSON body never
// starts with a NUL). Journals written earlier hold "sealed:" and base64, or
// plain bodies from before sealing; all three replay.
inline constexpr char kSealedBody = '\0';
std::string SealBody(std::string_view body, const crypto::DataKeys& keys);

}  // namespace orderhub::codec
